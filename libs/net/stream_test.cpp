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
