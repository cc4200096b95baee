#include "service.hpp"

#include <unistd.h>

#include "delivery.hpp"
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

void add_delivery_keys(config::Schema& s) {
  s.add_bool("delivery.enabled", true,
             "run the outbound delivery workers in this process (every replica may: the "
             "queue's leases share the work)")
      .add_integer("delivery.concurrency", 20, 1, 10000, "queue entries being delivered at once")
      .add_integer("delivery.per_destination", 5, 1, 1000,
                   "SMTP sessions at once to one recipient domain")
      .add_integer("delivery.port", 25, 1, 65535,
                   "TCP port of the remote MX hosts (25; tests point it at a local sink)")
      .add_bool("delivery.starttls", true,
                "STARTTLS whenever a remote MX offers it (opportunistic, RFC 3207 and RFC 7435: "
                "encrypted without a certificate check, plaintext if the handshake fails)")
      .add_duration("delivery.connect_timeout", "30s", "wait for one MX address to answer")
      .add_bool("delivery.internal_addresses", false,
                "deliver to loopback, private and link-local addresses too (tests, a smart "
                "host inside the network); off: a recipient's DNS cannot point the relay inward")
      .add_duration("delivery.lifetime", "5d",
                    "how long a message is retried before it bounces (RFC 5321 §4.5.4.1)")
      .add_duration("delivery.delay_warning", "4h",
                    "tell the sender once when a message is this late (RFC 3464 \"delayed\"); "
                    "0 = never")
      .add_duration("delivery.first_retry", "5m",
                    "wait after the first failed attempt; doubled after each one")
      .add_duration("delivery.max_retry", "1h", "longest wait between two attempts")
      .add_duration("delivery.lease", "30m",
                    "how long a worker holds a queue entry; after it another worker may take it")
      .add_duration("delivery.poll", "1s", "an idle worker asks the queue again after this long")
      .add_duration("delivery.session_idle", "2s",
                    "an SMTP session stays open this long for the next message to its domain "
                    "(0 = one session per message)")
      .add_list("dns.servers", std::vector<std::string>{},
                "DNS servers for MX lookups (host:port, [::1]:port); empty = /etc/resolv.conf")
      .add_duration("dns.timeout", "5s", "wait for one DNS answer (each query is tried twice)");
}

Result<DeliverySettings> delivery_settings(const config::Config& config, const Settings& settings) {
  DeliverySettings d;
  d.concurrency = static_cast<std::size_t>(config.get_int("delivery.concurrency"));
  d.per_destination = static_cast<std::size_t>(config.get_int("delivery.per_destination"));
  d.lease = config.get_duration("delivery.lease");
  d.poll = config.get_duration("delivery.poll");
  d.session_idle = config.get_duration("delivery.session_idle");
  d.store_timeout = settings.store_timeout;
  d.worker_id = settings.submission.hostname + ":" + std::to_string(::getpid());
  d.retry.first_retry = config.get_duration("delivery.first_retry");
  d.retry.max_retry = config.get_duration("delivery.max_retry");
  d.retry.lifetime = config.get_duration("delivery.lifetime");
  d.retry.delay_warning = config.get_duration("delivery.delay_warning");
  d.remote.helo = settings.submission.hostname;
  d.remote.port = static_cast<std::uint16_t>(config.get_int("delivery.port"));
  d.remote.connect_timeout = config.get_duration("delivery.connect_timeout");
  d.remote.starttls = config.get_bool("delivery.starttls");
  d.remote.internal_addresses = config.get_bool("delivery.internal_addresses");
  auto tls = net::make_client_context();
  if (!tls) return tls.error();
  d.remote.tls = std::move(*tls);
  d.dns.servers = config.get_list("dns.servers");
  d.dns.timeout = config.get_duration("dns.timeout");
  d.reports = settings.reports;
  return d;
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
  add_delivery_keys(s);
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
  // RL-03: an account may allow more recipients than limits.max_recipients, so the engine only
  // holds the ceiling and SubmissionHandler::rcpt applies the account's or the relay's value.
  settings.max_recipients = engine.max_recipients;
  engine.max_recipients = kMostRecipients;
  engine.require_auth = true;
  engine.auth_needs_tls = !settings.allow_plaintext_auth;
  settings.reports = {.clients = &clients,
                      .timeout = settings.store_timeout,
                      .hostname = engine.hostname,
                      .spool_directory = engine.spool_directory,
                      .spool_memory = engine.spool_memory};
  if (config.get_bool("delivery.enabled")) {
    auto delivery_config = delivery_settings(config, settings);
    if (!delivery_config) return delivery_config.error();
    static std::unique_ptr<Delivery> delivery;
    auto started = Delivery::start(runtime.io(), std::move(*delivery_config));
    if (!started) return started.error();
    delivery = std::move(*started);
    settings.queued = [] { delivery->wake(); };
    runtime.lifecycle().on_drain([] { delivery->stop(); });
    runtime.on_exit([] { delivery.reset(); });  // its timer and resolver belong to the io_context
  }
  auto handler = [](net::Connection c) { return serve_submission(std::move(c), settings); };
  if (auto ok = runtime.listen("listen.submission", {.busy_reply = kBusyReply}, handler); !ok)
    return ok;
  return runtime.listen("listen.submissions", {.implicit_tls = true}, handler);
}

}  // namespace tessera::relay
