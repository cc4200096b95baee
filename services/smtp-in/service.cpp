#include "service.hpp"

#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "inbound_grpc.hpp"
#include "inbound_handler.hpp"
#include "rpc/server.hpp"
#include "settings.hpp"
#include "smtp/server_config.hpp"

namespace tessera::smtpin {
namespace {

// RFC 5321 §3.8: a server that must refuse a session says 421 and closes.
constexpr const char* kBusyReply = "421 4.7.0 Error: too many connections, try again later\r\n";

awaitable<metrics::ConnectionResult> serve_inbound(net::Connection connection,
                                                   const Settings& settings,
                                                   const smtp::ServerSettings& engine) {
  InboundHandler handler(settings);
  co_return co_await smtp::serve(std::move(connection), engine, handler);
}

// Inbound.Deliver's server, stopped when the drain begins (shutdown blocks: its own thread,
// joined by teardown()).
struct Grpc {
  std::unique_ptr<InboundService> service;
  std::unique_ptr<rpc::RpcServer> server;
  std::thread stopper;
  std::chrono::milliseconds grace{10000};
};

Grpc& grpc_state() {
  static Grpc state;
  return state;
}

Status start_grpc(service::Runtime& runtime, const Settings& settings) {
  const auto& endpoint = runtime.config().get_endpoint("grpc.listen");
  if (!endpoint.is_set()) return {};
  auto& g = grpc_state();
  g.service = std::make_unique<InboundService>(runtime.io(), settings);
  auto server = rpc::RpcServer::start(endpoint.to_string(), {g.service.get()},
                                      {.config_key = "grpc.listen", .max_threads = 64});
  if (!server) return server.error();
  g.server = std::move(*server);
  g.grace = runtime.config().get_duration("drain.timeout");
  spdlog::info("smtp-in serving Inbound.Deliver on gRPC port {}", g.server->port());
  runtime.lifecycle().on_drain([] {
    auto& state = grpc_state();
    state.stopper = std::thread([raw = &state] { raw->server->shutdown(raw->grace); });
  });
  return {};
}

}  // namespace

void teardown() {
  auto& g = grpc_state();
  if (g.stopper.joinable()) g.stopper.join();
  if (g.server) g.server->shutdown(std::chrono::milliseconds(0));
  g.server.reset();
  g.service.reset();
}

config::Schema schema() {
  config::Schema s;
  s.add_endpoint("listen.smtp", "0.0.0.0:25",
                 "SMTP for mail from the Internet (MX, RFC 5321; STARTTLS offered); empty = off")
      .add_endpoint("listen.lmtp", "127.0.0.1:24",
                    "LMTP (RFC 2033) for an MTA kept in front of Tessera; empty = off")
      .add_endpoint("grpc.listen", "",
                    "gRPC endpoint of Inbound.Deliver (the same pipeline for the relay and the "
                    "poller); empty = off")
      .add_integer("limits.max_hops", 100, 1, 10000,
                   "Received fields a message may carry before it is refused as a loop (554 "
                   "5.4.6; RFC 5321 §6.3)")
      .add_string("postmaster", "",
                  "account that receives <postmaster> and postmaster@ of every hosted domain "
                  "without its own (RFC 5321 §4.5.1); empty = none")
      .add_string("store.address", "127.0.0.1:17001", "gRPC address of the store (host:port)")
      .add_duration("store.timeout", "30s",
                    "deadline of one call to the store (waiting for it to come back included)");
  smtp::add_server_keys(s);
  service::add_protocol_keys(s);
  return s;
}

Status setup(service::Runtime& runtime) {
  const auto& config = runtime.config();
  // Sessions keep references: the settings live as long as the process.
  static Settings settings;
  static StoreClient store(config.get_string("store.address"));
  settings.store = &store;
  settings.store_timeout = config.get_duration("store.timeout");
  settings.lookup = {.timeout = settings.store_timeout,
                     .postmaster = config.get_string("postmaster")};
  settings.max_hops = static_cast<int>(config.get_int("limits.max_hops"));
  const auto engine = smtp::server_settings(config, runtime.tls());
  settings.mx = engine;
  settings.mx.dialect = smtp::Dialect::smtp;
  settings.lmtp = engine;
  settings.lmtp.dialect = smtp::Dialect::lmtp;
  auto mx = [](net::Connection c) { return serve_inbound(std::move(c), settings, settings.mx); };
  auto lmtp = [](net::Connection c) {
    return serve_inbound(std::move(c), settings, settings.lmtp);
  };
  if (auto ok = runtime.listen("listen.smtp", {.busy_reply = kBusyReply}, mx); !ok) return ok;
  if (auto ok = runtime.listen("listen.lmtp", {.busy_reply = kBusyReply}, lmtp); !ok) return ok;
  return start_grpc(runtime, settings);
}

}  // namespace tessera::smtpin
