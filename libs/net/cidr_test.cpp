#include "net/cidr.hpp"

#include <catch2/catch.hpp>

namespace tessera::net {
namespace {

TEST_CASE("CidrSet::contains matches addresses against ranges") {
  struct Case {
    std::vector<std::string> ranges;
    std::string address;
    bool want;
  };
  const std::vector<Case> cases = {
      {{"127.0.0.0/8"}, "127.0.0.1", true},
      {{"127.0.0.0/8"}, "128.0.0.1", false},
      {{"10.0.0.0/8"}, "127.0.0.1", false},
      {{"192.0.2.1"}, "192.0.2.1", true},  // bare address is /32
      {{"192.0.2.1"}, "192.0.2.2", false},
      {{"10.1.2.3/8"}, "10.200.0.1", true},  // host bits ignored
      {{"0.0.0.0/0"}, "203.0.113.7", true},
      {{"0.0.0.0/0"}, "::1", false},  // an IPv4 range never matches real IPv6
      {{"192.168.0.0/23"}, "192.168.1.255", true},
      {{"192.168.0.0/23"}, "192.168.2.0", false},
      {{"10.0.0.0/8"}, "::ffff:10.9.8.7", true},  // IPv4-mapped peer, IPv4 range
      {{"::ffff:10.0.0.0/104"}, "10.1.1.1", true},
      {{"::ffff:10.0.0.0/104"}, "11.1.1.1", false},
      {{"::1"}, "::1", true},  // bare address is /128
      {{"::1"}, "::2", false},
      {{"2001:db8::/32"}, "2001:db8:ffff::1", true},
      {{"2001:db8::/32"}, "2001:db9::1", false},
      {{"2001:db8::/33"}, "2001:db8:8000::1", false},
      {{"::/0"}, "2001:db8::1", true},
      {{"::/0"}, "10.0.0.1", false},
      {{"10.0.0.0/8", "2001:db8::/32"}, "2001:db8::5", true},
      {{}, "127.0.0.1", false},
  };
  for (const Case& c : cases) {
    auto set = CidrSet::parse(c.ranges);
    REQUIRE(set.has_value());
    const bool got = set->contains(asio::ip::make_address(c.address));
    INFO("ranges[0]=" << (c.ranges.empty() ? "" : c.ranges[0]) << " address=" << c.address
                      << " got=" << got << " want=" << c.want);
    CHECK(got == c.want);
  }
}

TEST_CASE("CidrSet::parse refuses bad entries and names them") {
  const std::vector<std::string> bad = {
      "",
      "abc",
      "10.0.0.0/33",
      "10.0.0.0/",
      "10.0.0.0/-1",
      "10.0.0.0/8x",
      "10.0.0.0/ 8",
      " 10.0.0.0",
      "::1/129",
      "::ffff:10.0.0.0/95",
      "1.2.3.4/8/8",
      "fe80::1%eth0",
      "10.0.0.256",
  };
  for (const std::string& entry : bad) {
    auto set = CidrSet::parse({"127.0.0.0/8", entry});
    INFO("entry=\"" << entry << "\" got ok=" << set.has_value() << " want error");
    REQUIRE_FALSE(set.has_value());
    CHECK(set.error().code == "net.bad_cidr");
    CHECK(set.error().message.find("\"" + entry + "\"") != std::string::npos);
  }
}

TEST_CASE("unmap_v4 turns IPv4-mapped IPv6 into IPv4") {
  CHECK(unmap_v4(asio::ip::make_address("::ffff:1.2.3.4")) == asio::ip::make_address("1.2.3.4"));
  CHECK(unmap_v4(asio::ip::make_address("::1")) == asio::ip::make_address("::1"));
  CHECK(unmap_v4(asio::ip::make_address("1.2.3.4")) == asio::ip::make_address("1.2.3.4"));
}

}  // namespace
}  // namespace tessera::net
