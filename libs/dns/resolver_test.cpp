// The resolver and route() against dnsmasq on 127.0.0.1 serving a test zone, a server that never
// answers and a port where nothing listens. Only loopback traffic.
#include "dns/resolver.hpp"

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "dns/dnsmasq.hpp"
#include "dns/route.hpp"
#include "net/test_support.hpp"

namespace tessera::dns {
namespace {

using namespace std::chrono_literals;
using net::testing::run_coro;
using Addresses = std::vector<asio::ip::address>;
using Clock = std::chrono::steady_clock;

std::vector<std::string> test_zone() {
  std::vector<std::string> zone = {
      "--local=/test/",  // everything under .test is answered here: unknown names are NXDOMAIN
      "--mx-host=two.test,mx1.two.test,10",
      "--mx-host=two.test,mx2.two.test,20",
      "--host-record=mx1.two.test,127.0.0.11",
      "--host-record=mx2.two.test,127.0.0.12",
      "--mx-host=equal.test,a.equal.test,10",
      "--mx-host=equal.test,b.equal.test,10",
      "--mx-host=equal.test,c.equal.test,10",
      "--host-record=a.equal.test,127.0.0.21",
      "--host-record=b.equal.test,127.0.0.22",
      "--host-record=c.equal.test,127.0.0.23",
      "--host-record=implicit.test,127.0.0.30",
      // MX 0 . as raw RDATA (preference 0, the root label); its A record must not be used.
      "--dns-rr=null.test,15,000000",
      "--host-record=null.test,127.0.0.31",
      "--host-record=dual.test,127.0.0.1,::1",
      "--cname=alias.test,dual.test",
      "--mx-host=noaddr.test,ghost.noaddr.test,10",
      "--mx-host=partial.test,ghost.partial.test,10",
      "--mx-host=partial.test,real.partial.test,20",
      "--host-record=real.partial.test,127.0.0.40",
      "--mx-host=literal.test,127.0.0.1,10",  // an "IP address" as MX host: a name like others
      "--txt-record=nomail.test,no MX and no address",
  };
  // More MX than max_mx_records and than 512 octets of answer (EDNS0 or TCP).
  for (int i = 1; i <= 30; ++i) {
    zone.push_back("--mx-host=many.test,host-number-" + std::to_string(i) + ".many.test," +
                   std::to_string(i));
  }
  return zone;
}

// One dnsmasq per test process, started by the first case that needs it.
const testing::Dnsmasq& zone() {
  testing::skip_without_dnsmasq();
  static const testing::Dnsmasq server(test_zone());
  return server;
}

std::unique_ptr<Resolver> make_resolver(asio::any_io_executor executor,
                                        std::vector<std::string> servers,
                                        std::chrono::milliseconds timeout = 2000ms, int tries = 2) {
  auto resolver = Resolver::create(std::move(executor), {std::move(servers), timeout, tries});
  INFO((resolver ? "" : resolver.error().message));
  REQUIRE(resolver.has_value());
  return std::move(*resolver);
}

awaitable<std::unique_ptr<Resolver>> zone_resolver() {
  const auto executor = co_await asio::this_coro::executor;
  co_return make_resolver(executor, {zone().server()});
}

Addresses addresses_of(std::initializer_list<const char*> texts) {
  Addresses out;
  for (const char* t : texts)
    out.push_back(asio::ip::make_address(t));
  return out;
}

// Runs `io` on this thread and another until its work is done (20 s at most).
void run_on_two_threads(asio::io_context& io) {
  std::thread other([&] { io.run_for(20s); });
  io.run_for(20s);
  other.join();
}

template <typename T>
void require_error(const Result<T>& got, std::string_view code) {
  INFO("want " << code << ", got "
               << (got ? "a value" : got.error().code + ": " + got.error().message));
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code == code);
}

TEST_CASE("mx returns a domain's MX records") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    auto got = co_await resolver->mx("Two.Test.");
    REQUIRE(got.has_value());
    std::set<std::pair<int, std::string>> records;
    for (const auto& r : *got)
      records.insert({r.preference, r.host});
    CHECK(records ==
          std::set<std::pair<int, std::string>>{{10, "mx1.two.test"}, {20, "mx2.two.test"}});
  });
}

TEST_CASE("route tries MX hosts lowest preference first, with their addresses") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    auto got = co_await route(*resolver, "two.test");
    REQUIRE(got.has_value());
    REQUIRE(got->size() == 2);
    CHECK((*got)[0].host == "mx1.two.test");
    CHECK((*got)[0].preference == 10);
    CHECK_FALSE((*got)[0].implicit);
    CHECK((*got)[0].addresses == addresses_of({"127.0.0.11"}));
    CHECK((*got)[1].host == "mx2.two.test");
    CHECK((*got)[1].addresses == addresses_of({"127.0.0.12"}));
  });
}

TEST_CASE("route shuffles MX hosts of equal preference (RFC 5321 §5.1)") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    std::set<std::string> first;
    for (int i = 0; i < 30; ++i) {
      auto got = co_await route(*resolver, "equal.test");
      REQUIRE(got.has_value());
      std::set<std::string> hosts;
      for (const auto& d : *got)
        hosts.insert(d.host);
      CHECK(hosts == std::set<std::string>{"a.equal.test", "b.equal.test", "c.equal.test"});
      first.insert(got->front().host);
    }
    CHECK(first.size() > 1);  // one host first 30 times running: (1/3)^29
  });
}

TEST_CASE("route falls back to the domain's own address without MX (implicit MX)") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    auto mx = co_await resolver->mx("implicit.test");
    REQUIRE(mx.has_value());
    CHECK(mx->empty());  // NODATA
    auto got = co_await route(*resolver, "implicit.test");
    REQUIRE(got.has_value());
    REQUIRE(got->size() == 1);
    CHECK((*got)[0].host == "implicit.test");
    CHECK((*got)[0].implicit);
    CHECK((*got)[0].preference == 0);
    CHECK((*got)[0].addresses == addresses_of({"127.0.0.30"}));
  });
}

TEST_CASE("a null MX is dns.null_mx although the domain has an address (RFC 7505)") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    auto mx = co_await resolver->mx("null.test");
    REQUIRE(mx.has_value());
    CHECK(*mx == std::vector<MxRecord>{{0, ""}});
    require_error(co_await route(*resolver, "null.test"), errc::null_mx);
  });
}

TEST_CASE("NXDOMAIN is dns.not_found") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    require_error(co_await resolver->mx("nx.test"), errc::not_found);
    require_error(co_await resolver->addresses("nx.test"), errc::not_found);
    require_error(co_await route(*resolver, "nx.test"), errc::not_found);
  });
}

TEST_CASE("a domain with neither MX nor address is dns.not_found, its lookups empty") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    auto mx = co_await resolver->mx("nomail.test");
    REQUIRE(mx.has_value());
    CHECK(mx->empty());
    auto own = co_await resolver->addresses("nomail.test");
    REQUIRE(own.has_value());
    CHECK(own->empty());
    auto got = co_await route(*resolver, "nomail.test");
    require_error(got, errc::not_found);
    CHECK_THAT(got.error().message, Catch::Contains("neither MX nor"));
  });
}

TEST_CASE("addresses interleaves AAAA and A, IPv6 first, through a CNAME too") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    for (const char* host : {"dual.test", "alias.test"}) {
      auto got = co_await resolver->addresses(host);
      INFO(host);
      REQUIRE(got.has_value());
      CHECK(*got == addresses_of({"::1", "127.0.0.1"}));
    }
    auto v4 = co_await resolver->addresses("mx1.two.test");  // AAAA NODATA, A answered
    REQUIRE(v4.has_value());
    CHECK(*v4 == addresses_of({"127.0.0.11"}));
  });
}

TEST_CASE("MX hosts without addresses are left out, and none left is dns.no_address") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    auto partial = co_await route(*resolver, "partial.test");
    REQUIRE(partial.has_value());
    REQUIRE(partial->size() == 1);
    CHECK((*partial)[0].host == "real.partial.test");
    CHECK((*partial)[0].preference == 20);

    auto none = co_await route(*resolver, "noaddr.test");
    require_error(none, errc::no_address);
    CHECK_THAT(none.error().message, Catch::Contains("ghost.noaddr.test"));
    // An MX "127.0.0.1" is looked up as a name (outside the zone: REFUSED), not used as an address.
    require_error(co_await route(*resolver, "literal.test"), errc::no_address);
  });
}

TEST_CASE("a large MX set is cut to the lowest max_mx_records preferences") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    auto got = co_await resolver->mx("many.test");
    REQUIRE(got.has_value());
    REQUIRE(got->size() == max_mx_records);
    std::set<int> preferences;
    for (const auto& r : *got)
      preferences.insert(r.preference);
    CHECK(*preferences.begin() == 1);
    CHECK(*preferences.rbegin() == static_cast<int>(max_mx_records));
  });
}

TEST_CASE("REFUSED is dns.temporary") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    require_error(co_await resolver->mx("elsewhere.example"), errc::temporary);  // no upstream
  });
}

TEST_CASE("a name that is no domain is dns.bad_name") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    require_error(co_await resolver->mx("bad..name"), errc::bad_name);
    require_error(co_await resolver->addresses(""), errc::bad_name);
    require_error(co_await route(*resolver, "-x.test"), errc::bad_name);
  });
}

TEST_CASE("route takes an address literal as its own destination") {
  run_coro([]() -> awaitable<void> {
    auto resolver = co_await zone_resolver();
    for (const auto& [literal, address] :
         {std::pair{"[127.0.0.1]", "127.0.0.1"}, std::pair{"[IPv6:::1]", "::1"}}) {
      auto got = co_await route(*resolver, literal);
      REQUIRE(got.has_value());
      REQUIRE(got->size() == 1);
      CHECK((*got)[0].host == literal);
      CHECK((*got)[0].implicit);
      CHECK((*got)[0].addresses == addresses_of({address}));
    }
  });
}

TEST_CASE("a server that never answers is dns.temporary within timeout × tries") {
  run_coro([]() -> awaitable<void> {
    testing::BlackHole hole;
    const auto executor = co_await asio::this_coro::executor;
    auto resolver = make_resolver(executor, {hole.server()}, 200ms, 2);
    const auto start = Clock::now();
    require_error(co_await resolver->mx("two.test"), errc::temporary);
    const auto elapsed = Clock::now() - start;
    INFO("took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                 << " ms");
    CHECK(elapsed >= 350ms);
    CHECK(elapsed < 1000ms);
  });
}

TEST_CASE("a port where nothing listens is dns.temporary at once") {
  run_coro([]() -> awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    auto resolver = make_resolver(executor, {testing::unused_server()}, 1000ms, 2);
    const auto start = Clock::now();
    require_error(co_await resolver->addresses("dual.test"), errc::temporary);
    CHECK(Clock::now() - start < 1000ms);  // ICMP port unreachable, not the timeout
  });
}

TEST_CASE("the next server answers when the first does not") {
  run_coro([]() -> awaitable<void> {
    testing::BlackHole hole;
    const auto executor = co_await asio::this_coro::executor;
    auto resolver = make_resolver(executor, {hole.server(), zone().server()}, 200ms, 1);
    auto got = co_await route(*resolver, "two.test");
    REQUIRE(got.has_value());
    CHECK(got->size() == 2);
  });
}

TEST_CASE("many queries at once on one resolver from two threads") {
  const std::string server = zone().server();
  asio::io_context io;
  auto resolver = make_resolver(io.get_executor(), {server});
  constexpr int count = 60;
  std::atomic<int> good = 0;
  std::atomic<int> done = 0;
  for (int i = 0; i < count; ++i) {
    // Each on its own strand, as the relay's delivery workers are.
    asio::co_spawn(
        asio::make_strand(io),
        [&, i]() -> awaitable<void> {
          bool ok = false;
          if (i % 3 == 0) {
            auto got = co_await route(*resolver, "two.test");
            ok = got && got->size() == 2;
          } else if (i % 3 == 1) {
            auto got = co_await resolver->addresses("dual.test");
            ok = got && got->size() == 2;
          } else {
            auto got = co_await resolver->mx("nx.test");
            ok = !got && got.error().code == errc::not_found;
          }
          good += ok ? 1 : 0;
          ++done;
        },
        asio::detached);
  }
  run_on_two_threads(io);
  CHECK(done == count);
  CHECK(good == count);
}

TEST_CASE("destroying the resolver ends its pending queries with dns.temporary") {
  run_coro([]() -> awaitable<void> {
    testing::BlackHole hole;
    const auto executor = co_await asio::this_coro::executor;
    auto resolver = make_resolver(executor, {hole.server()}, 5000ms, 2);
    std::vector<std::optional<Error>> got(3);
    const auto keep = [&](std::size_t i, const auto& result) {
      got[i] = result ? Error{"none", "succeeded"} : result.error();
    };
    asio::co_spawn(
        executor, [&]() -> awaitable<void> { keep(0, co_await resolver->mx("two.test")); },
        asio::detached);
    asio::co_spawn(
        executor, [&]() -> awaitable<void> { keep(1, co_await resolver->addresses("dual.test")); },
        asio::detached);
    asio::co_spawn(
        executor, [&]() -> awaitable<void> { keep(2, co_await route(*resolver, "two.test")); },
        asio::detached);
    co_await net::testing::sleep_for(100ms);
    const auto start = Clock::now();
    resolver.reset();
    const auto all = [&] {
      return std::all_of(got.begin(), got.end(), [](const auto& g) { return g.has_value(); });
    };
    REQUIRE(co_await net::testing::wait_until(all, 1000ms));
    CHECK(Clock::now() - start < 1000ms);
    for (const auto& g : got) {
      INFO(g->code << ": " << g->message);
      CHECK(g->code == errc::temporary);
      CHECK_THAT(g->message, Catch::Contains("shut down"));
    }
  });
}

TEST_CASE("destroying the resolver on one thread while queries wait on two") {
  testing::BlackHole hole;
  asio::io_context io;
  auto resolver = make_resolver(io.get_executor(), {hole.server()}, 5000ms, 2);
  constexpr int count = 40;
  std::atomic<int> temporary = 0;
  std::atomic<int> done = 0;
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(
        asio::make_strand(io),
        [&, i]() -> awaitable<void> {
          // No co_await inside ?: (GCC 12 destroys its temporaries twice).
          std::string code;
          if (i % 2 == 0) {
            auto got = co_await route(*resolver, "two.test");
            code = got ? "none" : got.error().code;
          } else {
            auto got = co_await resolver->addresses("dual.test");
            code = got ? "none" : got.error().code;
          }
          temporary += code == errc::temporary ? 1 : 0;
          ++done;
        },
        asio::detached);
  }
  asio::co_spawn(
      asio::make_strand(io),
      [&]() -> awaitable<void> {
        co_await net::testing::sleep_for(50ms);
        resolver.reset();
      },
      asio::detached);
  run_on_two_threads(io);
  CHECK(done == count);
  CHECK(temporary == count);
}

TEST_CASE("an io_context destroyed with queries pending takes them along") {
  // No shutdown() ran (the io_context never ran again): the channel is torn down by the
  // io_context's destruction. ASan checks that nothing leaks and nothing is closed twice.
  testing::BlackHole hole;
  bool resumed = false;
  {
    asio::io_context io;
    auto resolver = make_resolver(io.get_executor(), {hole.server()}, 5000ms, 2);
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          (void)co_await resolver->addresses("dual.test");
          resumed = true;
        },
        asio::detached);
    io.run_for(100ms);
    resolver.reset();
  }
  CHECK_FALSE(resumed);
}

TEST_CASE("create checks the settings") {
  asio::io_context io;
  struct Case {
    std::vector<std::string> servers;
    std::chrono::milliseconds timeout;
    int tries;
    bool ok;
  };
  const std::vector<Case> cases = {
      {{"127.0.0.1:5353", "[::1]:53"}, 1000ms, 2, true},
      {{"127.0.0.1", "::1", "[::1]"}, 1000ms, 2, true},
      {{"nonsense"}, 1000ms, 2, false},
      {{"localhost:53"}, 1000ms, 2, false},
      {{"127.0.0.1:0"}, 1000ms, 2, false},
      {{"127.0.0.1:70000"}, 1000ms, 2, false},
      {{"127.0.0.1:"}, 1000ms, 2, false},
      {{"[::1"}, 1000ms, 2, false},
      {{"[::1]x"}, 1000ms, 2, false},
      {{"[127.0.0.1]:53"}, 1000ms, 2, true},
      {{"127.0.0.1"}, 0ms, 2, false},
      {{"127.0.0.1"}, 1000ms, 0, false},
      {{"127.0.0.1"}, 1000ms, 11, false},
  };
  for (const auto& c : cases) {
    auto got = Resolver::create(io.get_executor(), {c.servers, c.timeout, c.tries});
    INFO((c.servers.empty() ? "" : c.servers.front())
         << " timeout " << c.timeout.count() << " tries " << c.tries << ": "
         << (got ? "created" : got.error().message));
    CHECK(got.has_value() == c.ok);
    if (!got) CHECK(got.error().code == errc::bad_settings);
  }
  // The system's resolv.conf: created, never asked (tests send nothing off loopback).
  CHECK(Resolver::create(io.get_executor(), {}).has_value());
}

}  // namespace
}  // namespace tessera::dns
