// The smtp-in service (binary tessera-smtpd): its configuration keys and its start-up — the MX
// listener (listen.smtp, STARTTLS offered) and the LMTP listener (listen.lmtp, RFC 2033).
#pragma once

#include "config/schema.hpp"
#include "service/runtime.hpp"

namespace tessera::smtpin {

config::Schema schema();
Status setup(service::Runtime& runtime);

}  // namespace tessera::smtpin
