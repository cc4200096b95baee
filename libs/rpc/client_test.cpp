// Awaitable calls (client.hpp) against a real server: every call shape, deadlines, cancellation,
// metadata, and that a one-thread io_context keeps running while calls are in flight.
#include <chrono>
#include <optional>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <catch2/catch.hpp>

#include "rpc/echo_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using tessera::awaitable;
using tessera::Result;
using namespace tessera::rpc::test;
namespace asio = tessera::asio;
namespace rpc = tessera::rpc;

using Clock = std::chrono::steady_clock;

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
      co_return co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo, request("hi", 300));
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
  for (const bool absolute : {false, true}) {
    INFO((absolute ? "absolute deadline" : "relative timeout"));
    rpc::CallOptions options;
    if (absolute) {
      options.deadline = std::chrono::system_clock::now() + 200ms;
    } else {
      options.timeout = 200ms;
    }
    run([&]() -> awaitable<void> {
      const auto started = Clock::now();
      auto reply = co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo,
                                       request("slow", 3000), options);
      const auto took = Clock::now() - started;
      REQUIRE_FALSE(reply);
      CHECK(reply.error().code == "rpc.DEADLINE_EXCEEDED");
      CHECK(rpc::status_code(reply.error()) == grpc::StatusCode::DEADLINE_EXCEEDED);
      CHECK(took >= 150ms);
      CHECK(took < 1500ms);
    });
  }
}

TEST_CASE("losing a race with a timer cancels the call on the server") {
  Fixture f;
  const int before = cancelled_calls.load();
  run([&]() -> awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    const auto started = Clock::now();
    auto raced =
        co_await (rpc::unary(f.stub->async(), &EchoStub::async::Echo, request("x", 5000)) ||
                  timer.async_wait(asio::use_awaitable));
    CHECK(raced.index() == 1);  // the timer won
    CHECK(Clock::now() - started < 1s);
  });
  // The server polls its context every 5 ms; give it up to 2 s to notice.
  for (int i = 0; i < 200 && cancelled_calls.load() == before; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(cancelled_calls.load() > before);
}

TEST_CASE("a cancelled call completes with rpc.CANCELLED") {
  Fixture f;
  asio::io_context io;
  asio::cancellation_signal signal;
  std::optional<Result<echo::EchoReply>> outcome;
  const auto started = Clock::now();
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        outcome = co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo, request("x", 5000));
      },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  asio::steady_timer timer(io, 50ms);
  timer.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });
  io.run();
  CHECK(Clock::now() - started < 1s);
  REQUIRE(outcome);
  REQUIRE_FALSE(*outcome);
  CHECK(outcome->error().code == "rpc.CANCELLED");
  CHECK(rpc::status_code(outcome->error()) == grpc::StatusCode::CANCELLED);
}

TEST_CASE("metadata from CallOptions reaches the server") {
  Fixture f;
  run([&]() -> awaitable<void> {
    rpc::CallOptions options{.metadata = {{"x-tessera-account", "42"}}};
    auto reply =
        co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo, request("whoami"), options);
    REQUIRE(reply);
    CHECK(reply->text() == "42");
    auto anonymous =
        co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo, request("whoami"));
    REQUIRE_FALSE(anonymous);
    CHECK(rpc::status_code(anonymous.error()) == grpc::StatusCode::NOT_FOUND);
    CHECK(anonymous.error().message == "no account");
  });
}

TEST_CASE("an unreachable server is rpc.UNAVAILABLE") {
  // A port that was just free: bind a server with port 0, note the port, stop it.
  int port = 0;
  {
    Fixture gone;
    port = gone.server->port();
  }
  auto stub = echo::EchoService::NewStub(rpc::make_channel("127.0.0.1:" + std::to_string(port)));
  run([&]() -> awaitable<void> {
    auto reply = co_await rpc::unary(stub->async(), &EchoStub::async::Echo, request("x"));
    REQUIRE_FALSE(reply);
    CHECK(reply.error().code == "rpc.UNAVAILABLE");
  });
}

TEST_CASE("server streaming delivers every item in order") {
  Fixture f;
  run([&]() -> awaitable<void> {
    auto reader =
        rpc::server_stream(f.stub->async(), &EchoStub::async::EchoStream, request("item", 0, 50));
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
  const int before = cancelled_calls.load();
  run([&]() -> awaitable<void> {
    auto reader =
        rpc::server_stream(f.stub->async(), &EchoStub::async::EchoStream, request("x", 20, 1000));
    for (int i = 0; i < 3; ++i) {
      auto item = co_await reader->next();
      REQUIRE(item);
      REQUIRE(item->has_value());
    }
    reader.reset();  // drop it with the server still sending
    // The same channel still serves calls.
    auto reply = co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo, request("again"));
    REQUIRE(reply);
    CHECK(reply->text() == "again");
  });
  for (int i = 0; i < 200 && cancelled_calls.load() == before; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(cancelled_calls.load() > before);
}

TEST_CASE("cancelling a pending read ends the stream with rpc.CANCELLED") {
  Fixture f;
  run([&]() -> awaitable<void> {
    auto reader =
        rpc::server_stream(f.stub->async(), &EchoStub::async::EchoStream, request("x", 3000, 3));
    asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
    auto raced = co_await (reader->next() || timer.async_wait(asio::use_awaitable));
    CHECK(raced.index() == 1);
    auto after = co_await reader->next();  // the stream's end tells why
    REQUIRE_FALSE(after);
    CHECK(after.error().code == "rpc.CANCELLED");
  });
}

TEST_CASE("server stream errors surface as the status") {
  Fixture f;
  run([&]() -> awaitable<void> {
    auto reader = rpc::server_stream(f.stub->async(), &EchoStub::async::EchoStream,
                                     request("x", 100, 100), {.timeout = 150ms});
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
    auto writer = rpc::client_stream(f.stub->async(), &EchoStub::async::Collect);
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
    auto writer = rpc::client_stream(f.stub->async(), &EchoStub::async::Collect);
    auto written = co_await writer->write(request("partial"));
    REQUIRE(written);
    writer.reset();
    auto reply = co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo, request("ok"));
    REQUIRE(reply);
  });
}

TEST_CASE("200 concurrent calls from one thread all complete") {
  Fixture f;
  int completed = 0;
  const auto started = Clock::now();
  run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < 200; ++i) {
      asio::co_spawn(
          executor,
          [&, i]() -> awaitable<void> {
            auto reply = co_await rpc::unary(f.stub->async(), &EchoStub::async::Echo,
                                             request(std::to_string(i), 50));
            if (reply && reply->text() == std::to_string(i)) ++completed;
          },
          asio::detached);
    }
    co_return;
  });
  CHECK(completed == 200);
  // One after another they would take 200 × 50 ms = 10 s.
  CHECK(Clock::now() - started < 5s);
}
