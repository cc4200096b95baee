#include "service.hpp"

#include <algorithm>

#include "session.hpp"
#include "settings.hpp"

namespace tessera::pop3d {

config::Schema schema() {
  config::Schema s;
  s.add_endpoint("listen.pop3", "0.0.0.0:110", "POP3 with STLS (RFC 1939, RFC 2595); empty = off")
      .add_endpoint("listen.pop3s", "0.0.0.0:995", "POP3 over implicit TLS (RFC 8314); empty = off")
      .add_duration("timeouts.login", "60s", "idle time allowed before authentication")
      .add_duration("timeouts.idle", "10m",
                    "idle time allowed once authenticated (RFC 1939 §3: at least 10 minutes)")
      .add_duration("timeouts.lock", "60s",
                    "how long a maildrop stays locked ([IN-USE]) after the pop3 process serving "
                    "it died; live sessions renew their lock every third of it (3s to 1h)")
      .add_string("store.address", "127.0.0.1:17001", "gRPC address of the store (host:port)")
      .add_duration("store.timeout", "10s", "deadline of one call to the store")
      .add_bool("auth.allow_plaintext", false,
                "accept USER/PASS and AUTH without TLS (only behind a TLS-terminating proxy); "
                "otherwise they are refused until STLS (RFC 2595 §2.1)")
      .add_list("pop3.client_workarounds", std::vector<std::string>{"outlook-no-nuls", "oe-ns-eoh"},
                "as Dovecot's pop3_client_workarounds: outlook-no-nuls sends a NUL as 0x80, "
                "oe-ns-eoh adds a missing end-of-header line; empty = every message byte-exact");
  service::add_protocol_keys(s);
  return s;
}

namespace {

Result<pop3::ClientWorkarounds> workarounds(const std::vector<std::string>& names) {
  pop3::ClientWorkarounds w;
  for (const auto& name : names) {
    if (name == "outlook-no-nuls") {
      w.outlook_no_nuls = true;
    } else if (name == "oe-ns-eoh") {
      w.oe_ns_eoh = true;
    } else {
      return make_error("config.bad_value", "pop3.client_workarounds: unknown workaround '" + name +
                                                "' (outlook-no-nuls, oe-ns-eoh)");
    }
  }
  return w;
}

}  // namespace

Status setup(service::Runtime& runtime) {
  const auto& config = runtime.config();
  static Settings settings;  // sessions keep a reference: it lives as long as the process
  settings.tls = runtime.tls();
  settings.login_timeout = config.get_duration("timeouts.login");
  settings.idle_timeout = std::max<std::chrono::milliseconds>(config.get_duration("timeouts.idle"),
                                                              std::chrono::minutes(10));
  // The store grants maildrop locks of 1 hour at most.
  settings.lock_ttl = std::clamp<std::chrono::milliseconds>(
      config.get_duration("timeouts.lock"), std::chrono::seconds(3), std::chrono::hours(1));
  settings.store_timeout = config.get_duration("store.timeout");
  settings.allow_plaintext_auth = config.get_bool("auth.allow_plaintext");
  auto chosen = workarounds(config.get_list("pop3.client_workarounds"));
  if (!chosen) return chosen.error();
  settings.workarounds = *chosen;
  static StoreClient store(config.get_string("store.address"));
  settings.store = &store;
  auto handler = [](net::Connection connection) {
    return run_session(std::move(connection), settings);
  };
  if (auto plain = runtime.listen("listen.pop3", {.busy_reply = kBusyReply}, handler); !plain)
    return plain;
  return runtime.listen("listen.pop3s", {.implicit_tls = true}, handler);
}

}  // namespace tessera::pop3d
