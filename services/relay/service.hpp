// The relay service (binary tessera-relayd): its configuration keys and its start-up — message
// submission on listen.submission (587, STARTTLS, RFC 6409) and listen.submissions (465,
// implicit TLS, RFC 8314 §3.3).
#pragma once

#include "config/schema.hpp"
#include "service/runtime.hpp"

namespace tessera::relay {

config::Schema schema();
Status setup(service::Runtime& runtime);

}  // namespace tessera::relay
