// One IMAP connection (RFC 9051, RFC 3501 and the extensions in services/imap/README.md), with
// the line and literal limits, deadlines and per-account limits every session has. The
// session itself is session_impl.hpp; its command table is session_dispatch.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "account_limits.hpp"
#include "base/asio.hpp"
#include "change_hub.hpp"
#include "metrics/metrics.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "store_client/store_client.hpp"

namespace tessera::imap {

struct SessionSettings {
  std::size_t max_line = 64 * 1024;  // RFC 9051 §4: servers should accept lines of 8000+ octets
  // RFC 9051 §5.4: an autologout timer must be at least 30 minutes once authenticated; before
  // authentication a server may be stricter.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
  std::chrono::milliseconds login_timeout = std::chrono::minutes(1);
  std::shared_ptr<net::TlsContext> tls;  // for STARTTLS; null disables it
  StoreClient* store = nullptr;          // the process's store connection
  ChangeHub* hub = nullptr;              // the process's change notices, for IDLE
  // RFC 9051 §6.2.3: without TLS, LOGIN and AUTHENTICATE PLAIN are refused (LOGINDISABLED)
  // unless an operator allows plaintext passwords (e.g. behind a TLS-terminating proxy).
  bool allow_plaintext_auth = false;
  std::size_t max_literal = 64 * 1024;         // literals of commands other than APPEND
  std::size_t max_message = 50 * 1024 * 1024;  // APPENDLIMIT (RFC 7889), the product's 50 MB
  std::chrono::milliseconds store_timeout = std::chrono::seconds(10);
  AccountConnections* account_connections = nullptr;  // the process's per-account counts
  double commands_per_second = 200;                   // per session, on average
  double command_burst = 1000;                        // commands at once before pacing
};

// Runs one connection to its end and says how it ended. Never throws.
awaitable<metrics::ConnectionResult> run_session(net::Connection connection,
                                                 const SessionSettings& settings);

// "* BYE ..." line sent by the listener to connections over the limits.
inline constexpr const char* busy_reply = "* BYE [UNAVAILABLE] Too many connections\r\n";

}  // namespace tessera::imap
