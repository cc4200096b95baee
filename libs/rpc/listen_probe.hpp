// Why a listen address cannot be bound. gRPC reports a failed bind only as "no server"; the
// start-up error must still say what to fix, so the bind is retried with a plain socket and its
// errno put into words.
#pragma once

#include <string>

namespace tessera::rpc::detail {

// "address in use", "address not available on this host", "permission denied", ... for
// "host:port" or "[v6]:port"; a generic reason when the probe cannot tell.
std::string why_not_bindable(const std::string& address);

}  // namespace tessera::rpc::detail
