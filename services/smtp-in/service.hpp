// The smtp-in service (binary tessera-smtpd): its configuration keys and its start-up — the MX
// listener (listen.smtp, STARTTLS offered), the LMTP listener (listen.lmtp, RFC 2033) and the
// Inbound.Deliver gRPC server (grpc.listen).
#pragma once

#include "config/schema.hpp"
#include "service/runtime.hpp"

namespace tessera::smtpin {

config::Schema schema();
Status setup(service::Runtime& runtime);
// Joins what setup started outside the io_context (the gRPC server); after service::main.
void teardown();

}  // namespace tessera::smtpin
