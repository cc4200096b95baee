#include "service.hpp"

#include <memory>

#include "session.hpp"

namespace tessera::imap {

config::Schema schema() {
  config::Schema s;
  s.add_endpoint("listen.imap", "0.0.0.0:143", "IMAP with STARTTLS (RFC 9051); empty = off")
      .add_endpoint("listen.imaps", "127.0.0.1:993",
                    "IMAP over implicit TLS (RFC 8314); empty = off")
      .add_size("limits.max_line", "64KiB", "longest command line accepted (RFC 9051 §4)")
      .add_duration("timeouts.login", "60s", "idle time allowed before authentication")
      .add_duration("timeouts.idle", "30m", "idle time allowed once authenticated (RFC 9051 §5.4)")
      .add_size("limits.max_literal", "64KiB",
                "largest literal of a command other than APPEND ([TOOBIG] beyond)")
      .add_size("limits.max_message", "50MiB",
                "largest message APPEND accepts (advertised as APPENDLIMIT, RFC 7889)")
      .add_string("store.address", "127.0.0.1:17001", "gRPC address of the store (host:port)")
      .add_duration("store.timeout", "10s", "deadline of one call to the store")
      .add_bool("auth.allow_plaintext", false,
                "accept LOGIN and AUTHENTICATE PLAIN without TLS (only behind a TLS-terminating "
                "proxy); otherwise LOGINDISABLED until STARTTLS (RFC 9051 §6.2.3)")
      .add_integer("limits.connections_per_account", 20, 1, 100000,
                   "concurrent sessions of one account in this process (LOGIN beyond: NO [LIMIT])")
      .add_integer("limits.commands_per_second", 200, 1, 1000000,
                   "commands one session may issue per second on average (bursts of five "
                   "seconds' worth); faster clients are slowed down, not refused");
  service::add_protocol_keys(s);
  return s;
}

Status setup(service::Runtime& runtime) {
  const auto& config = runtime.config();
  // Sessions keep a reference: the settings live as long as the process.
  static SessionSettings settings;
  settings.max_line = config.get_size("limits.max_line");
  settings.login_timeout = config.get_duration("timeouts.login");
  settings.idle_timeout = config.get_duration("timeouts.idle");
  settings.tls = runtime.tls();
  settings.max_literal = config.get_size("limits.max_literal");
  settings.max_message = config.get_size("limits.max_message");
  settings.store_timeout = config.get_duration("store.timeout");
  settings.allow_plaintext_auth = config.get_bool("auth.allow_plaintext");
  static AccountConnections account_connections(
      static_cast<int>(config.get_int("limits.connections_per_account")));
  settings.account_connections = &account_connections;
  settings.commands_per_second = static_cast<double>(config.get_int("limits.commands_per_second"));
  settings.command_burst = settings.commands_per_second * 5;
  static StoreClient store(config.get_string("store.address"));
  settings.store = &store;
  static ChangeHub hub(runtime.io(), store);
  settings.hub = &hub;
  auto handler = [](net::Connection connection) {
    return run_session(std::move(connection), settings);
  };
  if (auto plain = runtime.listen("listen.imap", {.busy_reply = busy_reply}, handler); !plain) {
    return plain;
  }
  return runtime.listen("listen.imaps", {.implicit_tls = true}, handler);
}

}  // namespace tessera::imap
