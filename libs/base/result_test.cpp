#include "base/result.hpp"

#include <catch2/catch.hpp>

using tessera::Error;
using tessera::Result;

namespace {
Result<int> parse_digit(char c) {
  if (c < '0' || c > '9')
    return tessera::make_error("test.not_digit", std::string("not a digit: ") + c);
  return c - '0';
}
}  // namespace

TEST_CASE("Result carries a value or an error") {
  auto ok = parse_digit('7');
  REQUIRE(ok);
  CHECK(*ok == 7);
  auto bad = parse_digit('x');
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == "test.not_digit");
  CHECK(bad.error().message == "not a digit: x");
}

TEST_CASE("Status is empty on success") {
  tessera::Status s;
  CHECK(s.has_value());
  tessera::Status f = tessera::make_error("x.y", "broken");
  CHECK_FALSE(f);
  CHECK(f.error().message == "broken");
}
