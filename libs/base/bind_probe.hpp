// Why a listen address cannot be bound. Libraries that own their sockets (gRPC, civetweb)
// report a failed bind without the cause; a start-up error must still say what to fix, so the
// caller retries the bind with a plain socket and puts its errno into words.
#pragma once

#include <string_view>

#include "base/result.hpp"

namespace tessera {

// Binds "host:port" or "[v6]:port" (SO_REUSEADDR, as servers do) and releases it at once.
// On success: the address family bound (AF_INET or AF_INET6). On failure: code "bind.failed"
// with "address in use", "address not available on this host", "permission denied (ports
// below 1024 need privileges)", "cannot resolve ...", or strerror's text.
Result<int> probe_bind(std::string_view address);

}  // namespace tessera
