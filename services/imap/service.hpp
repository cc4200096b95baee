// The IMAP service: its configuration keys and its start-up (listeners on listen.imap with
// STARTTLS and listen.imaps with implicit TLS, RFC 8314 §3.3).
#pragma once

#include "config/schema.hpp"
#include "service/runtime.hpp"

namespace tessera::imap {

config::Schema schema();
Status setup(service::Runtime& runtime);

}  // namespace tessera::imap
