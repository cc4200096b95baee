#include "net/line_reader.hpp"

#include <catch2/catch.hpp>

#include "net/errors.hpp"
#include "net/test_support.hpp"

namespace tessera::net {
namespace {

using namespace std::chrono_literals;
using testing::run_coro;

LineReader::Limits limits(std::size_t max_line, Clock::duration timeout = 5s) {
  return {.max_line_bytes = max_line, .read_timeout = timeout};
}

// Sends `bytes` from a client socket it owns, then closes it; `*done` becomes true once all
// was written. Owning the socket keeps it alive as long as the write is in flight.
void send_then_close(tcp::socket client, std::shared_ptr<std::string> bytes,
                     std::shared_ptr<bool> done = std::make_shared<bool>()) {
  const auto executor = client.get_executor();
  asio::co_spawn(
      executor,
      [client = std::move(client), bytes, done]() mutable -> awaitable<void> {
        auto [ec, n] = co_await asio::async_write(client, asio::buffer(*bytes), use_nothrow);
        *done = !ec && n == bytes->size();
      },
      asio::detached);
}

TEST_CASE("LineReader splits lines on CRLF and bare LF however the bytes arrive") {
  struct Case {
    const char* name;
    std::vector<std::string> writes;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"one CRLF line", {"A1 NOOP\r\n"}, {"A1 NOOP"}},
      {"bare LF", {"A1 NOOP\nA2 NOOP\n"}, {"A1 NOOP", "A2 NOOP"}},
      {"pipelined", {"a\r\nb\r\n\r\nc\r\n"}, {"a", "b", "", "c"}},
      {"split everywhere", {"A", "1 NO", "OP\r", "\nA2\r", "\n"}, {"A1 NOOP", "A2"}},
      {"CR inside a line is kept", {"a\rb\r\n"}, {"a\rb"}},
      {"exactly the limit (16 with CRLF)", {"0123456789abcd\r\n"}, {"0123456789abcd"}},
  };
  for (const Case& c : cases) {
    run_coro([&]() -> awaitable<void> {
      auto [server, client] = co_await testing::socket_pair();
      Stream stream(std::move(server));
      LineReader reader(stream, limits(16));
      for (const std::string& w : c.writes) {
        co_await asio::async_write(client, asio::buffer(w), asio::use_awaitable);
        co_await testing::sleep_for(1ms);
      }
      for (const std::string& want : c.want) {
        auto got = co_await reader.read_line();
        INFO(c.name << ": got " << (got ? "\"" + *got + "\"" : got.error().code) << " want \""
                    << want << "\"");
        REQUIRE(got.has_value());
        CHECK(*got == want);
      }
    });
  }
}

TEST_CASE("LineReader peek shows buffered bytes and consume leaves the rest for lines") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream, limits(16));
    const std::string sent = "DATA\r\nbody bytes\r\n.\r\nQUIT\r\n";
    co_await asio::async_write(client, asio::buffer(sent), asio::use_awaitable);
    co_await testing::sleep_for(5ms);
    auto line = co_await reader.read_line();
    REQUIRE(line.has_value());
    CHECK(*line == "DATA");
    // The 16-byte line buffer holds part of the body: peek grows it for the bulk read.
    const std::string_view end = "\r\n.\r\n";
    std::string got;
    while (!got.ends_with(end)) {
      auto view = co_await reader.peek(65536);
      REQUIRE(view.has_value());
      std::size_t used = 0;
      while (used < view->size() && !got.ends_with(end))
        got.push_back((*view)[used++]);
      reader.consume(used);
    }
    CHECK(got == "body bytes\r\n.\r\n");
    line = co_await reader.read_line();
    REQUIRE(line.has_value());
    CHECK(*line == "QUIT");
  });
}

TEST_CASE("LineReader rejects a 10 MB line without holding it, then reads the next line") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    const std::size_t max_line = 8 * 1024;
    LineReader reader(stream, limits(max_line));
    auto flood = std::make_shared<std::string>(10 << 20, 'x');
    *flood += "\r\nA2 NOOP\r\n";
    auto sent = std::make_shared<bool>(false);
    send_then_close(std::move(client), flood, sent);

    auto first = co_await reader.read_line();
    REQUIRE_FALSE(first.has_value());
    INFO("got " << first.error().code << " after " << reader.bytes_received() << " bytes");
    CHECK(first.error().code == errc::line_too_long);
    // The error came after at most one buffer of the line, not after all of it.
    CHECK(reader.bytes_received() <= max_line);
    CHECK_FALSE(*sent);  // the peer was still sending the rest

    auto second = co_await reader.read_line();
    INFO("second: " << (second ? *second : second.error().code));
    REQUIRE(second.has_value());
    CHECK(*second == "A2 NOOP");
    CHECK(reader.bytes_received() == flood->size());
    CHECK(reader.buffer_capacity() <= max_line);  // the buffer never grew past the limit
    const bool got1 = co_await testing::wait_until([&] { return *sent; }, 5000ms);
    CHECK(got1);
  });
}

TEST_CASE("LineReader gives up discarding an endless line") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream,
                      {.max_line_bytes = 1024, .read_timeout = 5s, .max_discard_bytes = 64 * 1024});
    send_then_close(std::move(client), std::make_shared<std::string>(1 << 20, 'x'));
    auto first = co_await reader.read_line();
    REQUIRE_FALSE(first.has_value());
    CHECK(first.error().code == errc::line_too_long);
    auto second = co_await reader.read_line();
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code == errc::discard_limit);
    CHECK(reader.bytes_received() <= 64 * 1024 + 2048);
  });
}

TEST_CASE("LineReader read deadline fires on a silent peer") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream, limits(1024, 200ms));
    co_await asio::async_write(client, asio::buffer("A1 NO"), asio::use_awaitable);
    const auto start = Clock::now();
    auto got = co_await reader.read_line();
    const auto elapsed = Clock::now() - start;
    REQUIRE_FALSE(got.has_value());
    INFO("got " << got.error().code << " after "
                << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                << " ms, want net.timeout after ~200 ms");
    CHECK(got.error().code == errc::timeout);
    CHECK(elapsed >= 190ms);
    CHECK(elapsed < 2s);
  });
}

TEST_CASE("LineReader reports the peer closing as net.eof") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream, limits(1024));
    co_await asio::async_write(client, asio::buffer(std::string("last\r\npartial")),
                               asio::use_awaitable);
    client.close();
    auto line = co_await reader.read_line();
    REQUIRE(line.has_value());
    CHECK(*line == "last");
    auto end = co_await reader.read_line();
    REQUIRE_FALSE(end.has_value());
    CHECK(end.error().code == errc::eof);
  });
}

TEST_CASE("LineReader::read_exact returns exact literals and refuses oversized ones") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream, limits(64));
    // An IMAP APPEND: the literal's first bytes arrive with the command line.
    auto bytes = std::make_shared<std::string>("A1 APPEND INBOX {11}\r\nHello\r\nWorld A2\r\n");
    send_then_close(std::move(client), bytes);
    auto command = co_await reader.read_line();
    REQUIRE(command.has_value());
    CHECK(*command == "A1 APPEND INBOX {11}");

    auto refused = co_await reader.read_exact(11, 10);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == errc::too_large);
    CHECK(reader.buffered() == bytes->size() - command->size() - 2);  // nothing consumed

    auto literal = co_await reader.read_exact(11, 11);
    REQUIRE(literal.has_value());
    CHECK(*literal == "Hello\r\nWorl");
    auto rest = co_await reader.read_line();
    REQUIRE(rest.has_value());
    CHECK(*rest == "d A2");
  });
}

TEST_CASE("LineReader::read_chunks streams a large body in bounded pieces") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream, limits(1024));
    const std::size_t body_size = 3 * 1024 * 1024 + 17;
    auto bytes = std::make_shared<std::string>("BDAT " + std::to_string(body_size) + "\r\n");
    for (std::size_t i = 0; i < body_size; ++i)
      bytes->push_back(static_cast<char>('a' + i % 26));
    *bytes += "QUIT\r\n";
    send_then_close(std::move(client), bytes);

    auto command = co_await reader.read_line();
    REQUIRE(command.has_value());
    std::string received;
    std::size_t pieces = 0;
    std::size_t largest = 0;
    Status streamed = co_await reader.read_chunks(body_size, 64 * 1024,
                                                  [&](std::string_view piece) -> awaitable<Status> {
                                                    received.append(piece);
                                                    largest = std::max(largest, piece.size());
                                                    ++pieces;
                                                    co_return Status{};
                                                  });
    REQUIRE(streamed.has_value());
    CHECK(received.size() == body_size);
    CHECK(received == bytes->substr(command->size() + 2, body_size));
    CHECK(largest <= 64 * 1024);
    CHECK(pieces == (body_size + 64 * 1024 - 1) / (64 * 1024));
    auto quit = co_await reader.read_line();
    REQUIRE(quit.has_value());
    CHECK(*quit == "QUIT");
  });
}

TEST_CASE("LineReader::read_chunks stops at the sink's error") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream, limits(1024));
    send_then_close(std::move(client), std::make_shared<std::string>(100, 'x'));
    int calls = 0;
    Status streamed =
        co_await reader.read_chunks(100, 10, [&](std::string_view) -> awaitable<Status> {
          ++calls;
          co_return make_error("store.unavailable", "store down");
        });
    REQUIRE_FALSE(streamed.has_value());
    CHECK(streamed.error().code == "store.unavailable");
    CHECK(calls == 1);
  });
}

TEST_CASE("LineReader::discard_buffer drops what was pipelined") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    LineReader reader(stream, limits(1024));
    co_await asio::async_write(client, asio::buffer(std::string("STARTTLS\r\nRSET\r\n")),
                               asio::use_awaitable);
    auto line = co_await reader.read_line();
    REQUIRE(line.has_value());
    CHECK(*line == "STARTTLS");
    CHECK(reader.buffered() == 6);
    CHECK(reader.discard_buffer() == 6);
    CHECK(reader.buffered() == 0);
  });
}

TEST_CASE("write_all writes everything and reports a closed peer") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    Status ok = co_await write_all(stream, "* OK ready\r\n", 1s);
    REQUIRE(ok.has_value());
    std::string got(12, '\0');
    co_await asio::async_read(client, asio::buffer(got), asio::use_awaitable);
    CHECK(got == "* OK ready\r\n");
  });
}

TEST_CASE("write_all deadline fires when the peer does not read") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(server));
    const std::string huge(64 << 20, 'x');  // more than loopback socket buffers hold
    const auto start = Clock::now();
    Status written = co_await write_all(stream, huge, 300ms);
    REQUIRE_FALSE(written.has_value());
    CHECK(written.error().code == errc::timeout);
    CHECK(Clock::now() - start < 3s);
  });
}

}  // namespace
}  // namespace tessera::net
