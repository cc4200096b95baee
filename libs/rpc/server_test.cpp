// RpcServer (server.hpp): the health service overall and per service, NOT_SERVING before the
// drain, and the one-line error for a port that cannot be bound.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "grpc/health/v1/health.grpc.pb.h"
#include "rpc/echo_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using tessera::awaitable;
using namespace tessera::rpc::test;
namespace rpc = tessera::rpc;
namespace health = grpc::health::v1;
using HealthStub = health::Health::Stub;
using Serving = health::HealthCheckResponse;

health::HealthCheckRequest health_request(std::string service) {
  health::HealthCheckRequest r;
  r.set_service(std::move(service));
  return r;
}

}  // namespace

TEST_CASE("health answers SERVING overall and for every registered service") {
  Fixture f;
  CHECK(f.server->services() ==
        std::vector<std::string>{"tessera.testing.v1.EchoService", "grpc.health.v1.Health"});
  auto stub = health::Health::NewStub(rpc::make_channel(f.target()));
  struct Case {
    const char* service;
    grpc::StatusCode want_code;
    Serving::ServingStatus want_status;
  };
  const Case cases[] = {
      {"", grpc::StatusCode::OK, Serving::SERVING},
      {"tessera.testing.v1.EchoService", grpc::StatusCode::OK, Serving::SERVING},
      {"tessera.testing.v1.NoSuchService", grpc::StatusCode::NOT_FOUND, Serving::UNKNOWN},
  };
  run([&]() -> awaitable<void> {
    for (const auto& c : cases) {
      INFO("service \"" << c.service << "\"");
      auto reply =
          co_await rpc::unary(stub->async(), &HealthStub::async::Check, health_request(c.service));
      if (c.want_code == grpc::StatusCode::OK) {
        REQUIRE(reply);
        CHECK(reply->status() == c.want_status);
      } else {
        REQUIRE_FALSE(reply);
        CHECK(rpc::status_code(reply.error()) == c.want_code);
      }
    }
  });
}

TEST_CASE("health watchers see NOT_SERVING as soon as shutdown begins") {
  Fixture f;
  auto stub = health::Health::NewStub(rpc::make_channel(f.target()));
  std::jthread stopper;  // joined on the way out, whatever fails
  run([&]() -> awaitable<void> {
    using Reader = std::unique_ptr<rpc::StreamReader<Serving>>;
    std::vector<Reader> readers;  // overall, then per service
    for (const char* service : {"", "tessera.testing.v1.EchoService"}) {
      readers.push_back(
          rpc::server_stream(stub->async(), &HealthStub::async::Watch, health_request(service)));
      auto first = co_await readers.back()->next();
      REQUIRE(first);
      REQUIRE(first->has_value());
      CHECK((*first)->status() == Serving::SERVING);
    }
    // The watches keep the drain going (up to its grace) while they are read.
    stopper = std::jthread([&] { f.server->shutdown(3000ms); });
    for (auto& reader : readers) {
      auto second = co_await reader->next();
      REQUIRE(second);
      REQUIRE(second->has_value());
      CHECK((*second)->status() == Serving::NOT_SERVING);
    }
  });
}

TEST_CASE("a port in use is a one-line error naming the key") {
  Fixture f;
  echo::EchoService::Service other;
  const std::string address = f.target();
  auto second = rpc::RpcServer::start(address, {&other}, {.config_key = "store.grpc_listen"});
  REQUIRE_FALSE(second);
  CHECK(second.error().code == "rpc.listen");
  CHECK(second.error().message ==
        "cannot listen for gRPC on " + address + ": address in use (change store.grpc_listen)");
}
