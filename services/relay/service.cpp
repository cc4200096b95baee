#include "service.hpp"

#include "settings.hpp"
#include "smtp/server_config.hpp"
#include "submission_handler.hpp"

namespace tessera::relay {
namespace {

constexpr const char* kBusyReply = "421 4.7.0 Error: too many connections, try again later\r\n";

awaitable<metrics::ConnectionResult> serve_submission(net::Connection connection,
                                                      const Settings& settings) {
  SubmissionHandler handler(settings);
  co_return co_await smtp::serve(std::move(connection), settings.submission, handler);
}

}  // namespace

config::Schema schema() {
  config::Schema s;
  s.add_endpoint("listen.submission", "0.0.0.0:587",
                 "message submission with STARTTLS (RFC 6409); empty = off")
      .add_endpoint("listen.submissions", "0.0.0.0:465",
                    "message submission over implicit TLS (RFC 8314); empty = off")
      .add_bool("auth.allow_plaintext", false,
                "offer AUTH without TLS (only behind a TLS-terminating proxy); otherwise 538 "
                "5.7.11 until STARTTLS (RFC 4954 §4)")
      .add_integer("limits.messages_per_hour", 500, 0, 1000000,
                   "messages one account may submit per sliding hour, over every relay replica "
                   "(RL-03; 451 4.7.1 beyond); 0 = no limit")
      .add_string("store.address", "127.0.0.1:17001", "gRPC address of the store (host:port)")
      .add_string("inbound.address", "127.0.0.1:17002",
                  "gRPC address of smtp-in's Inbound.Deliver, for hosted recipients")
      .add_duration("store.timeout", "30s",
                    "deadline of one call to the store or smtp-in (waiting for it included)");
  smtp::add_server_keys(s, {.max_recipients = 100, .min_recipients = 1});
  service::add_protocol_keys(s);
  return s;
}

Status setup(service::Runtime& runtime) {
  const auto& config = runtime.config();
  static Settings settings;
  static Clients clients(config.get_string("store.address"), config.get_string("inbound.address"));
  settings.clients = &clients;
  settings.store_timeout = config.get_duration("store.timeout");
  settings.allow_plaintext_auth = config.get_bool("auth.allow_plaintext");
  settings.messages_per_hour =
      static_cast<std::uint32_t>(config.get_int("limits.messages_per_hour"));
  settings.submission = smtp::server_settings(config, runtime.tls());
  auto& engine = settings.submission;
  engine.require_auth = true;
  engine.auth_needs_tls = !settings.allow_plaintext_auth;
  auto handler = [](net::Connection c) { return serve_submission(std::move(c), settings); };
  if (auto ok = runtime.listen("listen.submission", {.busy_reply = kBusyReply}, handler); !ok)
    return ok;
  return runtime.listen("listen.submissions", {.implicit_tls = true}, handler);
}

}  // namespace tessera::relay
