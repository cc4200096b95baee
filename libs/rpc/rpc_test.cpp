// libs/rpc against a real gRPC server on 127.0.0.1 (port 0): every call shape, deadlines,
// cancellation, health, and that a single-threaded io_context keeps running during calls.
#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <catch2/catch.hpp>

#include "grpc/health/v1/health.grpc.pb.h"
#include "rpc/client.hpp"
#include "rpc/server.hpp"
#include "tessera/testing/v1/echo.grpc.pb.h"

namespace {

using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using tessera::awaitable;
using tessera::Result;
namespace asio = tessera::asio;
namespace rpc = tessera::rpc;
namespace echo = tessera::testing::v1;
using Stub = echo::EchoService::Stub;

std::atomic<int> cancelled_calls{0};

// Sleeps in small steps so that a cancelled or expired call is noticed (and counted).
bool wait_or_cancelled(grpc::ServerContext* context, std::uint32_t delay_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (context->IsCancelled()) {
      ++cancelled_calls;
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class EchoServer final : public echo::EchoService::Service {
  grpc::Status Echo(grpc::ServerContext* context, const echo::EchoRequest* request,
                    echo::EchoReply* reply) override {
    if (!wait_or_cancelled(context, request->delay_ms())) return grpc::Status::CANCELLED;
    reply->set_text(request->text());
    return grpc::Status::OK;
  }
  grpc::Status EchoStream(grpc::ServerContext* context, const echo::EchoRequest* request,
                          grpc::ServerWriter<echo::EchoReply>* writer) override {
    for (std::uint32_t i = 0; i < request->repeat(); ++i) {
      if (!wait_or_cancelled(context, request->delay_ms())) return grpc::Status::CANCELLED;
      echo::EchoReply reply;
      reply.set_text(request->text());
      reply.set_index(i);
      if (!writer->Write(reply)) return grpc::Status::CANCELLED;
    }
    return grpc::Status::OK;
  }
  grpc::Status Collect(grpc::ServerContext*, grpc::ServerReader<echo::EchoRequest>* reader,
                       echo::EchoReply* reply) override {
    echo::EchoRequest request;
    std::string joined;
    while (reader->Read(&request))
      joined += request.text();
    reply->set_text(joined);
    return grpc::Status::OK;
  }
};

struct Fixture {
  EchoServer service;
  std::unique_ptr<rpc::RpcServer> server;
  std::unique_ptr<Stub> stub;
  Fixture() {
    auto started = rpc::RpcServer::start("127.0.0.1:0", {&service});
    REQUIRE(started);
    server = std::move(*started);
    stub = echo::EchoService::NewStub(
        rpc::make_channel("127.0.0.1:" + std::to_string(server->port())));
  }
};

echo::EchoRequest request(std::string text, std::uint32_t delay_ms = 0, std::uint32_t repeat = 0) {
  echo::EchoRequest r;
  r.set_text(std::move(text));
  r.set_delay_ms(delay_ms);
  r.set_repeat(repeat);
  return r;
}

// Runs `body` on a one-thread io_context to its end.
template <typename Body>
void run(Body body) {
  asio::io_context io;
  asio::co_spawn(io, body(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

}  // namespace

TEST_CASE("unary call does not block the io_context thread") {
  Fixture f;
  int ticks = 0;
  run([&]() -> awaitable<void> {
    auto ticker = [&]() -> awaitable<void> {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      for (int i = 0; i < 100; ++i) {
        timer.expires_after(10ms);
        co_await timer.async_wait(asio::use_awaitable);
        ++ticks;
      }
    };
    auto call = [&]() -> awaitable<Result<echo::EchoReply>> {
      co_return co_await rpc::unary(f.stub->async(), &Stub::async::Echo, request("hi", 300));
    };
    auto both = co_await (call() || ticker());
    REQUIRE(both.index() == 0);
    auto reply = std::get<0>(std::move(both));
    REQUIRE(reply);
    CHECK(reply->text() == "hi");
  });
  INFO("timer ticks during a 300 ms call on the same thread: " << ticks);
  CHECK(ticks >= 10);
}

TEST_CASE("deadline exceeded is an rpc.DEADLINE_EXCEEDED error in about the deadline") {
  Fixture f;
  run([&]() -> awaitable<void> {
    const auto started = std::chrono::steady_clock::now();
    rpc::CallOptions options;
    options.timeout = 200ms;
    auto reply =
        co_await rpc::unary(f.stub->async(), &Stub::async::Echo, request("slow", 3000), options);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(reply);
    CHECK(reply.error().code == "rpc.DEADLINE_EXCEEDED");
    CHECK(rpc::status_code(reply.error()) == grpc::StatusCode::DEADLINE_EXCEEDED);
    CHECK(took < 2s);
  });
}

TEST_CASE("cancelling the awaiting coroutine cancels the call on the server") {
  Fixture f;
  const int before = cancelled_calls.load();
  run([&]() -> awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    const auto started = std::chrono::steady_clock::now();
    auto raced = co_await (rpc::unary(f.stub->async(), &Stub::async::Echo, request("x", 5000)) ||
                           timer.async_wait(asio::use_awaitable));
    CHECK(raced.index() == 1);  // the timer won
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  });
  for (int i = 0; i < 200 && cancelled_calls.load() == before; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(cancelled_calls.load() > before);
}

TEST_CASE("server streaming delivers every item in order") {
  Fixture f;
  run([&]() -> awaitable<void> {
    auto reader =
        rpc::server_stream(f.stub->async(), &Stub::async::EchoStream, request("item", 0, 50));
    std::uint32_t expected = 0;
    for (;;) {
      auto item = co_await reader->next();
      REQUIRE(item);
      if (!item->has_value()) break;
      CHECK((*item)->index() == expected);
      CHECK((*item)->text() == "item");
      ++expected;
    }
    CHECK(expected == 50);
    auto after_end = co_await reader->next();  // reading past the end stays at the end
    REQUIRE(after_end);
    CHECK_FALSE(after_end->has_value());
  });
}

TEST_CASE("abandoning a stream midway cancels it cleanly") {
  Fixture f;
  run([&]() -> awaitable<void> {
    auto reader =
        rpc::server_stream(f.stub->async(), &Stub::async::EchoStream, request("x", 20, 1000));
    for (int i = 0; i < 3; ++i) {
      auto item = co_await reader->next();
      REQUIRE(item);
      REQUIRE(item->has_value());
    }
    reader.reset();  // drop it with the server still sending
  });
  // The next call on the same channel still works.
  run([&]() -> awaitable<void> {
    auto reply = co_await rpc::unary(f.stub->async(), &Stub::async::Echo, request("again"));
    REQUIRE(reply);
    CHECK(reply->text() == "again");
  });
}

TEST_CASE("server stream errors surface as the status") {
  Fixture f;
  run([&]() -> awaitable<void> {
    rpc::CallOptions options;
    options.timeout = 150ms;
    auto reader = rpc::server_stream(f.stub->async(), &Stub::async::EchoStream,
                                     request("x", 100, 100), options);
    Result<std::optional<echo::EchoReply>> item = std::optional<echo::EchoReply>();
    for (int i = 0; i < 100; ++i) {
      item = co_await reader->next();
      if (!item || !item->has_value()) break;
    }
    REQUIRE_FALSE(item);
    CHECK(item.error().code == "rpc.DEADLINE_EXCEEDED");
  });
}

TEST_CASE("client streaming joins every write") {
  Fixture f;
  run([&]() -> awaitable<void> {
    auto writer = rpc::client_stream(f.stub->async(), &Stub::async::Collect);
    for (const char* part : {"a", "b", "c", "d"}) {
      auto written = co_await writer->write(request(part));
      REQUIRE(written);
    }
    auto reply = co_await writer->finish();
    REQUIRE(reply);
    CHECK(reply->text() == "abcd");
  });
}

TEST_CASE("abandoning a client stream cancels it") {
  Fixture f;
  run([&]() -> awaitable<void> {
    auto writer = rpc::client_stream(f.stub->async(), &Stub::async::Collect);
    auto written = co_await writer->write(request("partial"));
    REQUIRE(written);
    writer.reset();
    auto reply = co_await rpc::unary(f.stub->async(), &Stub::async::Echo, request("ok"));
    REQUIRE(reply);
  });
}

TEST_CASE("200 concurrent calls from one thread all complete") {
  Fixture f;
  int completed = 0;
  run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < 200; ++i) {
      asio::co_spawn(
          executor,
          [&, i]() -> awaitable<void> {
            auto reply = co_await rpc::unary(f.stub->async(), &Stub::async::Echo,
                                             request(std::to_string(i)));
            if (reply && reply->text() == std::to_string(i)) ++completed;
          },
          asio::detached);
    }
    co_return;
  });
  CHECK(completed == 200);
}

TEST_CASE("health answers SERVING, then NOT_SERVING once shutdown begins") {
  Fixture f;
  auto channel = rpc::make_channel("127.0.0.1:" + std::to_string(f.server->port()));
  auto health = grpc::health::v1::Health::NewStub(channel);
  using HealthStub = grpc::health::v1::Health::Stub;
  run([&]() -> awaitable<void> {
    auto reply = co_await rpc::unary(health->async(), &HealthStub::async::Check,
                                     grpc::health::v1::HealthCheckRequest());
    REQUIRE(reply);
    CHECK(reply->status() == grpc::health::v1::HealthCheckResponse::SERVING);
  });
  // A slow call keeps the server draining while we ask again.
  std::thread slow([&] {
    grpc::ClientContext context;
    echo::EchoReply reply;
    (void)f.stub->Echo(&context, request("slow", 1500), &reply);
  });
  std::this_thread::sleep_for(200ms);
  std::thread stopper([&] { f.server->shutdown(3000ms); });
  std::this_thread::sleep_for(200ms);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 1s);
  grpc::health::v1::HealthCheckResponse response;
  auto status = health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  // Either the health service answers NOT_SERVING, or the server already refuses new calls.
  if (status.ok()) {
    CHECK(response.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  } else {
    CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  slow.join();
  stopper.join();
}

TEST_CASE("a port in use is a one-line error naming the key") {
  Fixture f;
  echo::EchoService::Service other;
  const std::string address = "127.0.0.1:" + std::to_string(f.server->port());
  auto second = rpc::RpcServer::start(address, {&other}, {.config_key = "grpc.listen"});
  REQUIRE_FALSE(second);
  CHECK(second.error().message == "cannot listen for gRPC on " + address +
                                      ": address in use or not available (change grpc.listen)");
}

TEST_CASE("status names map both ways") {
  CHECK(rpc::status_name(grpc::StatusCode::NOT_FOUND) == "NOT_FOUND");
  auto error = rpc::to_error(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "over quota"));
  CHECK(error.code == "rpc.RESOURCE_EXHAUSTED");
  CHECK(error.message == "over quota");
  CHECK(rpc::status_code(error) == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK_FALSE(rpc::status_code(tessera::make_error("net.eof", "x")));
}
