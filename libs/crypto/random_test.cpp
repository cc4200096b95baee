#include "crypto/random.hpp"

#include <set>

#include <catch2/catch.hpp>

namespace tessera::crypto {
namespace {

TEST_CASE("constant_time_equal agrees with ==") {
  struct Case {
    std::string a;
    std::string b;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"a", "a"},
      {"a", "b"},
      {"abc", "abd"},
      {"abc", "xbc"},
      {"abc", "ab"},
      {"ab", "abc"},
      {"", "x"},
      {std::string("a\0b", 3), std::string("a\0c", 3)},
      {std::string("a\0b", 3), "a"},
      {std::string(1000, 'x'), std::string(1000, 'x')},
      {std::string(1000, 'x'), std::string(999, 'x') + "y"},
  };
  for (const Case& c : cases) {
    INFO("a=" << c.a << " b=" << c.b);
    CHECK(constant_time_equal(c.a, c.b) == (c.a == c.b));
  }
}

TEST_CASE("base64url follows RFC 4648 §10 without padding") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url("foob") == "Zm9vYg");
  CHECK(base64url("fooba") == "Zm9vYmE");
  CHECK(base64url("foobar") == "Zm9vYmFy");
  CHECK(base64url("\xfb\xff") == "-_8");  // the two URL-safe characters
}

TEST_CASE("random_token gives URL-safe text of the expected length, never repeating") {
  CHECK(random_token(0).empty());
  CHECK(random_token(16).size() == 22);
  CHECK(random_token(32).size() == 43);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = random_token(16);
    CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-_") == std::string::npos);
    seen.insert(token);
  }
  CHECK(seen.size() == 100);
}

}  // namespace
}  // namespace tessera::crypto
