#include "dns/name.hpp"

#include <catch2/catch.hpp>

#include "dns/errors.hpp"

namespace tessera::dns {
namespace {

// `n` labels of 63 octets, each with its dot.
std::string labels(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += std::string(63, 'a') + ".";
  return out;
}

TEST_CASE("normalize_domain takes RFC 5321 domains, lower-cased, without the final dot") {
  struct Case {
    std::string in;
    std::string want;  // "" for dns.bad_name
  };
  const std::vector<Case> cases = {
      {"example.com", "example.com"},
      {"Mail.Example.COM.", "mail.example.com"},
      {"a-b.c0.test", "a-b.c0.test"},
      {"localhost", "localhost"},
      {"1.2.3.4", "1.2.3.4"},  // digits are Let-dig: an MX "pointing to an IP" is looked up
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},
      {std::string(63, 'a') + ".test", std::string(63, 'a') + ".test"},
      {"", ""},
      {".", ""},
      {"a..b", ""},
      {".a", ""},
      {"a.b..", ""},
      {"-a.test", ""},
      {"a-.test", ""},
      {"a_b.test", ""},
      {"a b.test", ""},
      {"[127.0.0.1]", ""},
      {"b\xc3\xbc"
       "cher.example",
       ""},
      {std::string(64, 'a') + ".test", ""},
      {labels(3) + std::string(61, 'a'), labels(3) + std::string(61, 'a')},  // 253 octets
      {labels(4) + "test", ""},                                              // 256 octets
  };
  for (const auto& c : cases) {
    const auto got = normalize_domain(c.in);
    INFO("in \"" << c.in << "\": got " << (got ? *got : got.error().code) << ", want \"" << c.want
                 << "\"");
    if (c.want.empty()) {
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error().code == errc::bad_name);
    } else {
      REQUIRE(got.has_value());
      CHECK(*got == c.want);
    }
  }
}

TEST_CASE("normalize_domain says when a U-label needs converting") {
  const auto got = normalize_domain(
      "b\xc3\xbc"
      "cher.example");
  REQUIRE_FALSE(got.has_value());
  CHECK_THAT(got.error().message, Catch::Contains("A-label"));
}

TEST_CASE("address_literal reads RFC 5321 §4.1.3 literals only") {
  struct Case {
    std::string in;
    std::string want;  // "" for none
  };
  const std::vector<Case> cases = {
      {"[127.0.0.1]", "127.0.0.1"},
      {"[IPv6:::1]", "::1"},
      {"[ipv6:2001:db8::1]", "2001:db8::1"},
      {"[::1]", ""},             // IPv6 needs its tag
      {"[IPv6:127.0.0.1]", ""},  // and IPv4 must not have it
      {"[IPv6:fe80::1%eth0]", ""},
      {"[1.2.3]", ""},
      {"[]", ""},
      {"127.0.0.1", ""},
      {"[example.com]", ""},
      {"[127.0.0.1", ""},
  };
  for (const auto& c : cases) {
    const auto got = address_literal(c.in);
    INFO("in \"" << c.in << "\": got " << (got ? got->to_string() : "none") << ", want \"" << c.want
                 << "\"");
    if (c.want.empty()) {
      CHECK_FALSE(got.has_value());
    } else {
      REQUIRE(got.has_value());
      CHECK(got->to_string() == c.want);
    }
  }
}

}  // namespace
}  // namespace tessera::dns
