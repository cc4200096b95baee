#include "account_limits.hpp"

#include <catch2/catch.hpp>

using namespace tessera::imap;
using namespace std::chrono_literals;

TEST_CASE("connections per account: a slot each, up to the limit, released on destruction") {
  AccountConnections limits(2);
  auto a = limits.acquire(7);
  auto b = limits.acquire(7);
  CHECK(a);
  CHECK(b);
  CHECK_FALSE(limits.acquire(7));
  CHECK(limits.acquire(8));  // another account is not affected
  {
    auto moved = std::move(a);
    CHECK(limits.held(7) == 2);
  }
  CHECK(limits.held(7) == 1);
  CHECK(limits.acquire(7));
}

TEST_CASE("command pace: a burst runs at once, then one command per 1/rate") {
  CommandPace pace(10, 3);
  const auto start = CommandPace::Clock::now();
  CHECK(pace.take(start) == 0s);
  CHECK(pace.take(start) == 0s);
  CHECK(pace.take(start) == 0s);
  const auto wait = pace.take(start);
  CHECK(wait > 90ms);
  CHECK(wait < 110ms);
  CHECK(pace.take(start + 1s) == 0s);  // refilled
}
