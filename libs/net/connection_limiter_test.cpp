#include "net/connection_limiter.hpp"

#include <vector>

#include <catch2/catch.hpp>

namespace tessera::net {
namespace {

asio::ip::address ip(const char* text) {
  return asio::ip::make_address(text);
}

TEST_CASE("ConnectionLimiter caps connections per client address") {
  ConnectionLimiter limiter({.max_total = 0, .max_per_ip = 2});
  auto a1 = limiter.try_acquire(ip("192.0.2.1"));
  auto a2 = limiter.try_acquire(ip("192.0.2.1"));
  auto a3 = limiter.try_acquire(ip("192.0.2.1"));
  auto b1 = limiter.try_acquire(ip("192.0.2.2"));
  CHECK(a1.has_value());
  CHECK(a2.has_value());
  CHECK_FALSE(a3.has_value());  // third from the same address
  CHECK(b1.has_value());        // another address has its own count
  CHECK(limiter.count(ip("192.0.2.1")) == 2);
  a1.reset();  // releasing one slot lets the next connection in
  CHECK(limiter.count(ip("192.0.2.1")) == 1);
  CHECK(limiter.try_acquire(ip("192.0.2.1")).has_value());
}

TEST_CASE("ConnectionLimiter caps the total") {
  ConnectionLimiter limiter({.max_total = 3, .max_per_ip = 0});
  std::vector<Permit> held;
  for (const char* address : {"192.0.2.1", "192.0.2.2", "2001:db8::1"}) {
    auto permit = limiter.try_acquire(ip(address));
    REQUIRE(permit.has_value());
    held.push_back(std::move(*permit));
  }
  CHECK(limiter.total() == 3);
  CHECK_FALSE(limiter.try_acquire(ip("192.0.2.9")).has_value());
  held.pop_back();
  CHECK(limiter.total() == 2);
  CHECK(limiter.try_acquire(ip("192.0.2.9")).has_value());
}

TEST_CASE("Permit is released exactly once across moves") {
  ConnectionLimiter limiter({.max_total = 1, .max_per_ip = 1});
  {
    auto permit = limiter.try_acquire(ip("192.0.2.1"));
    REQUIRE(permit.has_value());
    Permit moved = std::move(*permit);
    CHECK_FALSE(permit->held());
    CHECK(moved.held());
    Permit assigned;
    assigned = std::move(moved);
    CHECK(limiter.total() == 1);
  }
  CHECK(limiter.total() == 0);
  CHECK(limiter.count(ip("192.0.2.1")) == 0);
}

TEST_CASE("Permit may outlive its limiter") {
  std::optional<Permit> permit;
  {
    ConnectionLimiter limiter({.max_total = 1});
    permit = limiter.try_acquire(ip("192.0.2.1"));
  }
  REQUIRE(permit.has_value());
  permit.reset();  // must not touch freed memory (checked under the sanitizer build)
}

TEST_CASE("ConnectionLimiter counts one client across address spellings") {
  struct Case {
    const char* first;
    const char* second;
    bool same_client;
  };
  const std::vector<Case> cases = {
      {"10.0.0.1", "::ffff:10.0.0.1", true},      // IPv4-mapped
      {"2001:db8::1", "2001:db8::ffff:1", true},  // same /64
      {"2001:db8::1", "2001:db8:0:1::1", false},  // next /64
      {"10.0.0.1", "10.0.0.2", false},
  };
  for (const Case& c : cases) {
    ConnectionLimiter limiter({.max_total = 0, .max_per_ip = 1});
    auto first = limiter.try_acquire(ip(c.first));
    auto second = limiter.try_acquire(ip(c.second));
    INFO(c.first << " then " << c.second << ": second admitted=" << second.has_value()
                 << " want=" << !c.same_client);
    CHECK(first.has_value());
    CHECK(second.has_value() == !c.same_client);
  }
}

}  // namespace
}  // namespace tessera::net
