// The IMAP session of the service skeleton: greeting, CAPABILITY, NOOP, STARTTLS, LOGOUT, with
// the line limits and deadlines every Tessera protocol session has. Authentication answers
// NO [UNAVAILABLE] until the store service exists; the full IMAP4rev2 engine replaces this.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "base/asio.hpp"
#include "metrics/metrics.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"

namespace tessera::imap {

struct SessionSettings {
  std::size_t max_line = 64 * 1024;  // RFC 9051 §4: servers should accept lines of 8000+ octets
  // RFC 9051 §5.4: an autologout timer must be at least 30 minutes once authenticated; before
  // authentication a server may be stricter.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
  std::chrono::milliseconds login_timeout = std::chrono::minutes(1);
  std::shared_ptr<net::TlsContext> tls;  // for STARTTLS; null disables it
};

// Runs one connection to its end and says how it ended. Never throws.
awaitable<metrics::ConnectionResult> run_session(net::Connection connection,
                                                 const SessionSettings& settings);

// "* BYE ..." line sent by the listener to connections over the limits.
inline constexpr const char* busy_reply = "* BYE [UNAVAILABLE] Too many connections\r\n";

}  // namespace tessera::imap
