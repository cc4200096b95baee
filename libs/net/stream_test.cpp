#include "net/stream.hpp"

#include <catch2/catch.hpp>

#include "net/errors.hpp"
#include "net/line_reader.hpp"
#include "net/test_support.hpp"
#include "net/tls_context.hpp"

namespace tessera::net {
namespace {

using namespace std::chrono_literals;
using testing::run_coro;

std::shared_ptr<asio::ssl::context> test_context(const testing::TempDir& dir) {
  testing::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"));
  auto tls = TlsContext::load(dir.file("cert.pem"), dir.file("key.pem"));
  if (!tls) throw std::runtime_error(tls.error().message);
  return tls->current();
}

asio::ssl::context client_context() {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_verify_mode(asio::ssl::verify_none);  // the test's self-signed certificate
  return context;
}

// What the STARTTLS server side saw, checked after both sides are done.
struct StartTlsSeen {
  bool done = false;
  std::size_t injected = 0;
  bool tls_after = false;
  std::string protocol;
  std::string cipher;
  std::string secure_line;
  std::string second_handshake_code;
};

// A server that answers STARTTLS the way a protocol must (RFC 3207 §4.2): throw away what
// was pipelined, handshake, then read commands over TLS.
awaitable<void> starttls_server(tcp::socket socket, std::shared_ptr<asio::ssl::context> context,
                                std::shared_ptr<StartTlsSeen> seen) {
  Stream stream(std::move(socket));
  LineReader reader(stream, {.max_line_bytes = 1024, .read_timeout = 5s});
  auto command = co_await reader.read_line();
  if (!command || *command != "STARTTLS") co_return;
  seen->injected = reader.discard_buffer();
  co_await write_all(stream, "220 Go ahead\r\n");
  Status handshake = co_await stream.handshake(context, 5s);
  if (!handshake) co_return;
  seen->tls_after = stream.is_tls();
  seen->protocol = stream.tls_protocol();
  seen->cipher = stream.tls_cipher();
  auto secure = co_await reader.read_line();
  if (secure) seen->secure_line = *secure;
  Status again = co_await stream.handshake(context, 5s);
  seen->second_handshake_code = again ? "ok" : again.error().code;
  co_await write_all(stream, "250 " + seen->secure_line + "\r\n");
  seen->done = true;
}

TEST_CASE("Stream upgrades to TLS once and STARTTLS discards pipelined plaintext") {
  testing::TempDir dir;
  auto context = test_context(dir);
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    CHECK_FALSE(Stream(tcp::socket(client.get_executor())).is_tls());
    auto seen = std::make_shared<StartTlsSeen>();
    asio::co_spawn(client.get_executor(), starttls_server(std::move(server), context, seen),
                   asio::detached);
    // The CVE-2011-0411 attack: a command injected after STARTTLS in the same packet.
    co_await asio::async_write(client, asio::buffer(std::string("STARTTLS\r\nRCPT TO:<x>\r\n")),
                               asio::use_awaitable);
    std::string reply;
    co_await asio::async_read_until(client, asio::dynamic_buffer(reply), "\n", asio::use_awaitable);
    CHECK(reply == "220 Go ahead\r\n");

    auto client_ctx = client_context();
    asio::ssl::stream<tcp::socket&> tls(client, client_ctx);
    co_await tls.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    co_await asio::async_write(tls, asio::buffer(std::string("EHLO secure\r\n")),
                               asio::use_awaitable);
    std::string secure_reply;
    co_await asio::async_read_until(tls, asio::dynamic_buffer(secure_reply), "\n",
                                    asio::use_awaitable);
    CHECK(secure_reply == "250 EHLO secure\r\n");
    const bool got1 = co_await testing::wait_until([&] { return seen->done; }, 5000ms);
    CHECK(got1);
    INFO("injected=" << seen->injected << " protocol=" << seen->protocol
                     << " cipher=" << seen->cipher);
    CHECK(seen->injected == std::string("RCPT TO:<x>\r\n").size());
    CHECK(seen->tls_after);
    CHECK((seen->protocol == "TLSv1.3" || seen->protocol == "TLSv1.2"));
    CHECK_FALSE(seen->cipher.empty());
    CHECK(seen->secure_line == "EHLO secure");  // not the injected command
    CHECK(seen->second_handshake_code == errc::tls);
  });
}

TEST_CASE("Stream TLS handshake has a deadline and reports failures") {
  testing::TempDir dir;
  auto context = test_context(dir);
  struct Case {
    const char* name;
    std::string client_sends;
    std::string want_code;
  };
  const std::vector<Case> cases = {
      {"silent client", "", std::string(errc::timeout)},
      {"plaintext client", "EHLO me\r\n", std::string(errc::tls)},
  };
  for (const Case& c : cases) {
    run_coro([&]() -> awaitable<void> {
      auto [server, client] = co_await testing::socket_pair();
      if (!c.client_sends.empty()) {
        co_await asio::async_write(client, asio::buffer(c.client_sends), asio::use_awaitable);
      }
      Stream stream(std::move(server));
      const auto start = Clock::now();
      Status handshake = co_await stream.handshake(context, 300ms);
      const auto elapsed = Clock::now() - start;
      INFO(c.name << ": got " << (handshake ? "ok" : handshake.error().code) << " want "
                  << c.want_code);
      REQUIRE_FALSE(handshake.has_value());
      CHECK(handshake.error().code == c.want_code);
      CHECK(elapsed < 3s);
      CHECK_FALSE(stream.is_open());  // a failed handshake closes the connection
    });
  }
}

// What the TLS server side of a client handshake test saw.
struct ServerSeen {
  bool done = false;
  std::string handshake;  // "ok" or the error code
  std::string sni;
};

// Accepts one connection, does the server handshake and echoes one line.
awaitable<void> echo_tls_server(tcp::acceptor& acceptor,
                                std::shared_ptr<asio::ssl::context> context,
                                std::shared_ptr<ServerSeen> seen) {
  auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
  if (!ec) {
    Stream stream(std::move(socket));
    Status handshake = co_await stream.handshake(context, 5s);
    seen->handshake = handshake ? "ok" : handshake.error().code;
    seen->sni = stream.tls_server_name();
    if (handshake) {
      LineReader reader(stream, {.max_line_bytes = 1024, .read_timeout = 5s});
      auto line = co_await reader.read_line();
      if (line) co_await write_all(stream, "echo " + *line + "\r\n");
    }
    co_await stream.shutdown(1s);
  }
  seen->done = true;
}

TEST_CASE("Stream connects and does the client side of TLS: SNI, verification, host name check") {
  testing::TempDir dir;
  auto server_context = test_context(dir);
  struct Case {
    const char* name;
    std::string server_name;
    bool verify;
    bool trust;        // the client trusts the self-signed certificate
    std::string want;  // "ok" or the client's error code
    std::string want_in_message;
    std::string want_sni;
  };
  const std::vector<Case> cases = {
      {"opportunistic, untrusted", "localhost", false, false, "ok", "", "localhost"},
      {"verified", "localhost", true, true, "ok", "", "localhost"},
      {"verified, absolute name", "localhost.", true, true, "ok", "", "localhost"},
      {"untrusted", "localhost", true, false, std::string(errc::tls), "self-signed", "localhost"},
      {"wrong name", "mx.example.org", true, true, std::string(errc::tls), "mismatch",
       "mx.example.org"},
      {"IP literal: no SNI, no match", "127.0.0.1", true, true, std::string(errc::tls), "mismatch",
       ""},
      {"IP literal, opportunistic", "127.0.0.1", false, false, "ok", "", ""},
  };
  for (const Case& c : cases) {
    auto client_context = make_client_context();
    REQUIRE(client_context.has_value());
    if (c.trust) {
      error_code ec;
      (*client_context)->load_verify_file(dir.file("cert.pem"), ec);
      REQUIRE_FALSE(ec);
    }
    run_coro([&]() -> awaitable<void> {
      auto executor = co_await asio::this_coro::executor;
      tcp::acceptor acceptor(executor, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      auto seen = std::make_shared<ServerSeen>();
      asio::co_spawn(executor, echo_tls_server(acceptor, server_context, seen), asio::detached);
      auto stream = co_await Stream::connect(acceptor.local_endpoint(), 5s);
      REQUIRE(stream.has_value());
      Status handshake =
          co_await stream->client_handshake(*client_context, c.server_name, c.verify, 5s);
      const std::string got = handshake ? "ok" : handshake.error().code;
      INFO(c.name << ": got " << got << " ("
                  << (handshake ? std::string() : handshake.error().message) << ") want "
                  << c.want);
      CHECK(got == c.want);
      if (!handshake) {
        CHECK(handshake.error().message.find(c.want_in_message) != std::string::npos);
        CHECK_FALSE(stream->is_open());
      } else {
        CHECK(stream->is_tls());
        CHECK((stream->tls_protocol() == "TLSv1.3" || stream->tls_protocol() == "TLSv1.2"));
        CHECK(stream->tls_server_name() == c.want_sni);
        co_await write_all(*stream, "hello\r\n");
        LineReader reader(*stream, {.max_line_bytes = 1024, .read_timeout = 5s});
        auto echo = co_await reader.read_line();
        CHECK((echo && *echo == "echo hello"));
      }
      const bool done = co_await testing::wait_until([&] { return seen->done; }, 5000ms);
      CHECK(done);
      if (handshake) {
        CHECK(seen->handshake == "ok");
        CHECK(seen->sni == c.want_sni);
      }
    });
  }
}

TEST_CASE("Stream connect reports a refused connection with its endpoint") {
  run_coro([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    tcp::endpoint closed;
    {
      tcp::acceptor acceptor(executor, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      closed = acceptor.local_endpoint();
    }
    auto stream = co_await Stream::connect(closed, 5s);
    REQUIRE_FALSE(stream.has_value());
    CHECK(stream.error().code == errc::io);
    CHECK(stream.error().message.find(endpoint_string(closed)) != std::string::npos);
  });
}

TEST_CASE("make_client_context: TLS 1.2 minimum, and a second handshake is refused") {
  auto context = make_client_context();
  REQUIRE(context.has_value());
  CHECK(SSL_CTX_get_min_proto_version((*context)->native_handle()) == TLS1_2_VERSION);
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    Stream stream(std::move(client));
    stream.close();
    Status first = co_await stream.client_handshake(*context, "localhost", false, 1s);
    CHECK_FALSE(first.has_value());  // closed socket: the handshake fails
    Status second = co_await stream.client_handshake(*context, "localhost", false, 1s);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().message == "TLS is already active");
    Stream other(std::move(server));
    Status nameless = co_await other.client_handshake(*context, "", true, 1s);
    REQUIRE_FALSE(nameless.has_value());
    CHECK(nameless.error().code == errc::tls);
  });
}

TEST_CASE("Stream close_handle closes from outside and is harmless after the stream is gone") {
  run_coro([&]() -> awaitable<void> {
    auto [server, client] = co_await testing::socket_pair();
    std::function<void()> closer;
    {
      Stream stream(std::move(server));
      closer = stream.close_handle();
      Stream moved = std::move(stream);  // the handle follows the connection, not the object
      closer();
      std::array<char, 16> buffer;
      auto [ec, n] = co_await moved.async_read_some(asio::buffer(buffer));
      CHECK(ec);
      CHECK_FALSE(moved.is_open());
    }
    closer();  // the stream is gone: nothing happens
    co_await testing::sleep_for(5ms);
  });
}

TEST_CASE("endpoint_string brackets IPv6") {
  CHECK(endpoint_string(tcp::endpoint(asio::ip::make_address("192.0.2.1"), 143)) ==
        "192.0.2.1:143");
  CHECK(endpoint_string(tcp::endpoint(asio::ip::make_address("2001:db8::1"), 993)) ==
        "[2001:db8::1]:993");
}

}  // namespace
}  // namespace tessera::net
