#include "send_limiter.hpp"

#include <catch2/catch.hpp>

namespace tessera::store {
namespace {

constexpr std::int64_t kHour = 3600 * 1000;

TEST_CASE("the sending limit counts a sliding hour per account") {
  SendLimiter limiter;
  const std::int64_t t0 = 1000 * kHour;  // the start of an hour
  for (int i = 0; i < 3; ++i)
    CHECK(limiter.charge(1, 3, t0 + i).allowed);
  const auto refused = limiter.charge(1, 3, t0 + 10);
  CHECK(!refused.allowed);
  CHECK(refused.sent_last_hour == 3);
  CHECK(refused.retry_after_ms > 0);
  CHECK(limiter.charge(2, 3, t0 + 10).allowed);  // another account
  // Half way through the next hour the previous one counts half: 3 * 0.5 = 1, so 2 more fit.
  CHECK(limiter.charge(1, 3, t0 + kHour + kHour / 2).allowed);
  CHECK(limiter.charge(1, 3, t0 + kHour + kHour / 2 + 1).allowed);
  CHECK(!limiter.charge(1, 3, t0 + kHour + kHour / 2 + 2).allowed);
  // Two hours later everything is forgotten.
  CHECK(limiter.charge(1, 3, t0 + 3 * kHour).sent_last_hour == 0);
  // No limit: always counted.
  CHECK(limiter.charge(3, 0, t0).allowed);
}

}  // namespace
}  // namespace tessera::store
