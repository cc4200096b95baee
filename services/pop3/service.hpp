// The pop3 service (binary tessera-pop3d): its configuration keys and start-up — POP3 with STLS
// on listen.pop3 (110, RFC 2595) and over implicit TLS on listen.pop3s (995, RFC 8314 §3.3).
#pragma once

#include "config/schema.hpp"
#include "service/runtime.hpp"

namespace tessera::pop3d {

config::Schema schema();
Status setup(service::Runtime& runtime);

}  // namespace tessera::pop3d
