#include "net/listener.hpp"

#include <catch2/catch.hpp>

#include "net/errors.hpp"
#include "net/line_reader.hpp"
#include "net/test_support.hpp"

namespace tessera::net {
namespace {

using namespace std::chrono_literals;
using testing::run_coro;

const char* kBusy = "* BYE Too many connections\r\n";

tcp::endpoint loopback(const char* address = "127.0.0.1", std::uint16_t port = 0) {
  return {asio::ip::make_address(address), port};
}

// What the handlers of one listener saw.
struct Seen {
  std::vector<tcp::endpoint> clients;
  std::vector<tcp::endpoint> peers;
  std::size_t ended = 0;
};

// Echoes each line back as "echo <line> from <client>[ tls]" until the connection ends.
ConnectionHandler echo_handler(std::shared_ptr<Seen> seen, Clock::duration timeout = 5s) {
  return [seen, timeout](Connection c) -> awaitable<void> {
    seen->clients.push_back(c.client);
    seen->peers.push_back(c.peer);
    LineReader reader(c.stream, {.max_line_bytes = 1024, .read_timeout = timeout});
    for (;;) {
      auto line = co_await reader.read_line();
      if (!line) break;
      const std::string tls = c.stream.is_tls() ? " tls" : "";
      Status ok = co_await write_all(
          c.stream, "echo " + *line + " from " + endpoint_string(c.client) + tls + "\r\n");
      if (!ok) break;
    }
    ++seen->ended;
  };
}

// A bound listener whose accept loop runs until stop_and_wait().
struct Running {
  Listener listener;
  std::shared_ptr<Seen> seen = std::make_shared<Seen>();
  std::shared_ptr<bool> finished = std::make_shared<bool>(false);

  tcp::endpoint endpoint() const { return listener.local_endpoint(); }
  awaitable<void> stop_and_wait() {
    listener.stop();
    const bool got1 = co_await testing::wait_until([this] { return *finished; }, 2000ms);
    CHECK(got1);
  }
};

awaitable<std::unique_ptr<Running>> start(ListenerOptions options,
                                          const tcp::endpoint& at = loopback(),
                                          Clock::duration read_timeout = 5s) {
  auto executor = co_await asio::this_coro::executor;
  auto bound = Listener::bind(executor, at, std::move(options));
  if (!bound) throw std::runtime_error(bound.error().message);
  auto running = std::make_unique<Running>(Running{std::move(*bound)});
  asio::co_spawn(
      executor,
      [listener = &running->listener, handler = echo_handler(running->seen, read_timeout),
       finished = running->finished]() -> awaitable<void> {
        co_await listener->run(handler);
        *finished = true;
      },
      asio::detached);
  co_return running;
}

// Sends `line` and returns the reply line, or "" when the server closed instead.
awaitable<std::string> round_trip(tcp::socket& socket, std::string line) {
  co_await asio::async_write(socket, asio::buffer(line), use_nothrow);
  std::string reply;
  auto [ec, n] =
      co_await asio::async_read_until(socket, asio::dynamic_buffer(reply), "\n", use_nothrow);
  co_return ec ? "" : reply.substr(0, n);
}

ListenerOptions proxy_options(const std::vector<std::string>& trusted) {
  ListenerOptions options;
  options.config_key = "listen.test";
  options.proxy_protocol = true;
  options.proxy_trusted = *CidrSet::parse(trusted);
  options.handshake_timeout = 300ms;
  return options;
}

TEST_CASE("Listener bind failure is one line naming the endpoint and the config key") {
  run_coro([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto first = Listener::bind(executor, loopback(), {});
    REQUIRE(first.has_value());
    const tcp::endpoint taken = first->local_endpoint();
    ListenerOptions options;
    options.config_key = "listen.imaps";
    auto second = Listener::bind(executor, taken, options);
    REQUIRE_FALSE(second.has_value());
    const std::string want = "cannot listen on 127.0.0.1:" + std::to_string(taken.port()) +
                             ": Address already in use (another process has the port; change "
                             "listen.imaps)";
    CHECK(second.error().code == "net.listen");
    CHECK(second.error().message == want);
  });
}

TEST_CASE("Listener takes the client address from a trusted PROXY v2 header") {
  run_coro([&]() -> awaitable<void> {
    ListenerOptions options = proxy_options({"127.0.0.0/8"});  // not inside co_await: GCC 12 bug
    auto server = co_await start(options);
    tcp::socket client = co_await testing::connect_from(server->endpoint(), loopback().address());
    const std::string header = testing::proxy_v2_tcp4("203.0.113.7", 4242, "127.0.0.1", 143);
    // The first protocol bytes ride in the same packet: the listener must not eat them.
    const std::string reply = co_await round_trip(client, header + "A1 NOOP\r\n");
    CHECK(reply == "echo A1 NOOP from 203.0.113.7:4242\r\n");
    REQUIRE(server->seen->clients.size() == 1);
    CHECK(server->seen->clients[0] == loopback("203.0.113.7", 4242));
    CHECK(server->seen->peers[0] == client.local_endpoint());  // the balancer
    client.close();
    co_await server->stop_and_wait();
  });
}

TEST_CASE("Listener refuses PROXY v2 from an untrusted peer without running the handler") {
  run_coro([&]() -> awaitable<void> {
    ListenerOptions options = proxy_options({"10.0.0.0/8"});  // not inside co_await: GCC 12 bug
    auto server = co_await start(options);
    tcp::socket client = co_await testing::connect_from(server->endpoint(), loopback().address());
    const std::string header = testing::proxy_v2_tcp4("203.0.113.7", 4242, "127.0.0.1", 143);
    co_await asio::async_write(client, asio::buffer(header + "A1 NOOP\r\n"), use_nothrow);
    const auto start_time = Clock::now();
    const std::string got = co_await testing::read_until_closed(client, 2000ms);
    CHECK(got.empty());
    CHECK(Clock::now() - start_time < 1500ms);  // closed at once, not timed out
    CHECK(server->seen->clients.empty());
    co_await server->stop_and_wait();
  });
}

TEST_CASE("Listener PROXY edge cases") {
  struct Case {
    const char* name;
    std::string sends;
    std::string want_reply_prefix;  // "" = closed without a handler
  };
  std::string local("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);  // LOCAL: health check
  const std::vector<Case> cases = {
      {"LOCAL keeps the real peer", local + "hi\r\n", "echo hi from 127.0.0.1:"},
      {"plain protocol bytes instead of a header", "A1 LOGIN a b\r\n", ""},
      {"silent peer", "", ""},
      {"truncated header", testing::proxy_v2_tcp4("203.0.113.7", 1, "127.0.0.1", 2).substr(0, 20),
       ""},
  };
  for (const Case& c : cases) {
    run_coro([&]() -> awaitable<void> {
      ListenerOptions options = proxy_options({"127.0.0.1"});  // not inside co_await: GCC 12 bug
      auto server = co_await start(options);
      tcp::socket client = co_await testing::connect_from(server->endpoint(), loopback().address());
      std::string got;
      if (c.want_reply_prefix.empty()) {
        co_await asio::async_write(client, asio::buffer(c.sends), use_nothrow);
        got = co_await testing::read_until_closed(client, 3000ms);
      } else {
        got = co_await round_trip(client, c.sends);
      }
      INFO(c.name << ": got \"" << got << "\" want prefix \"" << c.want_reply_prefix << "\"");
      CHECK(got.rfind(c.want_reply_prefix, 0) == 0);
      if (c.want_reply_prefix.empty()) CHECK(server->seen->clients.empty());
      client.close();
      co_await server->stop_and_wait();
    });
  }
}

TEST_CASE("Listener limits connections per client address with a busy reply") {
  run_coro([&]() -> awaitable<void> {
    ListenerOptions options;
    options.limiter = std::make_shared<ConnectionLimiter>(ConnectionLimits{.max_per_ip = 1});
    options.busy_reply = kBusy;
    auto server = co_await start(options);
    tcp::socket first = co_await testing::connect_from(server->endpoint(), loopback().address());
    const auto got2 = co_await round_trip(first, "one\r\n");
    CHECK(got2 == "echo one from " + endpoint_string(first.local_endpoint()) + "\r\n");
    tcp::socket second = co_await testing::connect_from(server->endpoint(), loopback().address());
    const auto got3 = co_await testing::read_until_closed(second, 3000ms);
    CHECK(got3 == kBusy);
    // Another address has its own allowance.
    tcp::socket other =
        co_await testing::connect_from(server->endpoint(), loopback("127.0.0.2").address());
    const auto got4 = co_await round_trip(other, "two\r\n");
    CHECK(got4 == "echo two from " + endpoint_string(other.local_endpoint()) + "\r\n");
    // When the first leaves, its address may connect again.
    first.close();
    const bool got5 =
        co_await testing::wait_until([&] { return server->seen->ended == 1; }, 2000ms);
    CHECK(got5);
    tcp::socket again = co_await testing::connect_from(server->endpoint(), loopback().address());
    const auto got6 = co_await round_trip(again, "three\r\n");
    CHECK(got6 == "echo three from " + endpoint_string(again.local_endpoint()) + "\r\n");
    other.close();
    again.close();
    co_await server->stop_and_wait();
  });
}

TEST_CASE("Listener limits the total number of connections") {
  run_coro([&]() -> awaitable<void> {
    ListenerOptions options;
    options.limiter = std::make_shared<ConnectionLimiter>(ConnectionLimits{.max_total = 2});
    options.busy_reply = kBusy;
    auto server = co_await start(options);
    std::vector<tcp::socket> held;
    for (const char* from : {"127.0.0.1", "127.0.0.2"}) {
      held.push_back(co_await testing::connect_from(server->endpoint(), loopback(from).address()));
      const auto got7 = co_await round_trip(held.back(), "x\r\n");
      CHECK_FALSE(got7.empty());
    }
    tcp::socket third =
        co_await testing::connect_from(server->endpoint(), loopback("127.0.0.3").address());
    const auto got8 = co_await testing::read_until_closed(third, 3000ms);
    CHECK(got8 == kBusy);
    for (auto& s : held)
      s.close();
    co_await server->stop_and_wait();
  });
}

TEST_CASE("Listener applies per-address limits to the PROXY client, not the balancer") {
  run_coro([&]() -> awaitable<void> {
    ListenerOptions options = proxy_options({"127.0.0.0/8"});
    options.limiter = std::make_shared<ConnectionLimiter>(ConnectionLimits{.max_per_ip = 1});
    options.busy_reply = kBusy;
    auto server = co_await start(options);
    const auto connect = [&](const char* source) -> awaitable<std::pair<tcp::socket, std::string>> {
      tcp::socket s = co_await testing::connect_from(server->endpoint(), loopback().address());
      const std::string header = testing::proxy_v2_tcp4(source, 5000, "127.0.0.1", 143);
      co_await asio::async_write(s, asio::buffer(header + "hi\r\n"), use_nothrow);
      std::string reply;
      co_await asio::async_read_until(s, asio::dynamic_buffer(reply), "\n", use_nothrow);
      co_return std::pair(std::move(s), reply);
    };
    auto a = co_await connect("203.0.113.7");
    auto b = co_await connect("203.0.113.8");
    auto c = co_await connect("203.0.113.7");
    CHECK(a.second == "echo hi from 203.0.113.7:5000\r\n");
    CHECK(b.second == "echo hi from 203.0.113.8:5000\r\n");
    CHECK(c.second == kBusy);
    a.first.close();
    b.first.close();
    c.first.close();
    co_await server->stop_and_wait();
  });
}

TEST_CASE("Listener performs the implicit TLS handshake before the handler") {
  testing::TempDir dir;
  testing::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"));
  auto tls = TlsContext::load(dir.file("cert.pem"), dir.file("key.pem"));
  REQUIRE(tls.has_value());
  run_coro([&]() -> awaitable<void> {
    ListenerOptions options;
    options.implicit_tls = std::make_shared<TlsContext>(std::move(*tls));
    auto server = co_await start(options);
    tcp::socket socket = co_await testing::connect_from(server->endpoint(), loopback().address());
    asio::ssl::context client_ctx(asio::ssl::context::tls_client);
    client_ctx.set_verify_mode(asio::ssl::verify_none);
    asio::ssl::stream<tcp::socket&> client(socket, client_ctx);
    co_await client.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    co_await asio::async_write(client, asio::buffer(std::string("A1 CAPABILITY\r\n")),
                               asio::use_awaitable);
    std::string reply;
    co_await asio::async_read_until(client, asio::dynamic_buffer(reply), "\n", asio::use_awaitable);
    CHECK(reply ==
          "echo A1 CAPABILITY from " + endpoint_string(socket.local_endpoint()) + " tls\r\n");
    socket.close();
    co_await server->stop_and_wait();
  });
}

TEST_CASE("Listener drain closes sessions left after the deadline") {
  run_coro([&]() -> awaitable<void> {
    // Sessions that would sit in a read for a minute.
    const ListenerOptions plain;  // named: see the GCC note in README.md
    auto server = co_await start(plain, loopback(), 60s);
    std::vector<tcp::socket> clients;
    for (int i = 0; i < 2; ++i) {
      clients.push_back(co_await testing::connect_from(server->endpoint(), loopback().address()));
      const auto got9 = co_await round_trip(clients.back(), "hi\r\n");
      CHECK_FALSE(got9.empty());
    }
    CHECK(server->listener.active() == 2);
    const auto start_time = Clock::now();
    co_await server->listener.drain(Clock::now() + 300ms);
    const auto elapsed = Clock::now() - start_time;
    INFO("drain took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                       << " ms");
    CHECK(elapsed >= 290ms);
    CHECK(elapsed < 3s);
    CHECK(server->listener.active() == 0);
    CHECK(server->seen->ended == 2);
    for (auto& c : clients) {
      const auto got10 = co_await testing::read_until_closed(c, 2000ms);
      CHECK(got10 == "");
    }
    // drain stopped the accept loop too.
    const bool got11 = co_await testing::wait_until([&] { return *server->finished; }, 2000ms);
    CHECK(got11);
    tcp::socket late(co_await asio::this_coro::executor);
    auto [ec] = co_await late.async_connect(server->endpoint(), use_nothrow);
    CHECK(ec);
  });
}

TEST_CASE("Listener drain returns as soon as the sessions end by themselves") {
  run_coro([&]() -> awaitable<void> {
    const ListenerOptions plain;  // named: see the GCC note in README.md
    auto server = co_await start(plain, loopback(), 60s);
    auto client = std::make_shared<tcp::socket>(
        co_await testing::connect_from(server->endpoint(), loopback().address()));
    const auto got12 = co_await round_trip(*client, "hi\r\n");
    CHECK_FALSE(got12.empty());
    asio::co_spawn(
        client->get_executor(),
        [client]() -> awaitable<void> {
          co_await testing::sleep_for(100ms);
          client->close();  // the client says goodbye during the drain
        },
        asio::detached);
    const auto start_time = Clock::now();
    co_await server->listener.drain(Clock::now() + 10s);
    CHECK(Clock::now() - start_time < 2s);
    CHECK(server->listener.active() == 0);
  });
}

TEST_CASE("Listener serves IPv6 on ::1") {
  run_coro([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    if (!Listener::bind(executor, loopback("::1"), {})) {
      WARN("no IPv6 loopback on this host; skipped");
      co_return;
    }
    const ListenerOptions plain;
    auto server = co_await start(plain, loopback("::1"));
    tcp::socket client =
        co_await testing::connect_from(server->endpoint(), loopback("::1").address());
    const auto got13 = co_await round_trip(client, "hi\r\n");
    CHECK(got13 == "echo hi from " + endpoint_string(client.local_endpoint()) + "\r\n");
    client.close();
    co_await server->stop_and_wait();
  });
}

TEST_CASE("Listener survives a handler that throws") {
  run_coro([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto bound = Listener::bind(executor, loopback(), {});
    REQUIRE(bound.has_value());
    auto calls = std::make_shared<int>(0);
    auto finished = std::make_shared<bool>(false);
    asio::co_spawn(
        executor,
        [&listener = *bound, calls, finished]() -> awaitable<void> {
          const ConnectionHandler buggy = [calls](Connection) -> awaitable<void> {
            ++*calls;
            throw std::runtime_error("handler bug");
            co_return;
          };
          co_await listener.run(buggy);
          *finished = true;
        },
        asio::detached);
    for (int i = 0; i < 2; ++i) {
      tcp::socket s = co_await testing::connect_from(bound->local_endpoint(), loopback().address());
      const auto got14 = co_await testing::read_until_closed(s, 2000ms);
      CHECK(got14 == "");
    }
    CHECK(*calls == 2);
    bound->stop();
    const bool got15 = co_await testing::wait_until([&] { return *finished; }, 2000ms);
    CHECK(got15);
  });
}

}  // namespace
}  // namespace tessera::net
