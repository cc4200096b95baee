#include "dns/route.hpp"

#include <set>

#include <catch2/catch.hpp>

namespace tessera::dns {
namespace {

using Addresses = std::vector<asio::ip::address>;

std::vector<std::string> hosts_of(const std::vector<MxRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records)
    out.push_back(r.host);
  return out;
}

Addresses addresses(std::initializer_list<const char*> texts) {
  Addresses out;
  for (const char* t : texts)
    out.push_back(asio::ip::make_address(t));
  return out;
}

TEST_CASE("is_null_mx: a single MX whose host is the root (RFC 7505 §3)") {
  struct Case {
    const char* name;
    std::vector<MxRecord> records;
    bool want;
  };
  const std::vector<Case> cases = {
      {"MX 0 .", {{0, ""}}, true},
      {"MX 10 . (preference not checked)", {{10, ""}}, true},
      {"no MX", {}, false},
      {"an ordinary MX", {{0, "mx.example"}}, false},
      {"\".\" among others (RFC 7505 §3 forbids it)", {{0, ""}, {10, "mx.example"}}, false},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(is_null_mx(c.records) == c.want);
  }
}

TEST_CASE("order_mx puts the lowest preference first (RFC 5321 §5.1)") {
  const std::vector<MxRecord> records = {{30, "c"}, {10, "a"}, {20, "b"}, {5, "z"}};
  CHECK(hosts_of(order_mx(records, 1)) == std::vector<std::string>{"z", "a", "b", "c"});
}

TEST_CASE("order_mx shuffles equal preferences and only those") {
  const std::vector<MxRecord> records = {{10, "a"}, {10, "b"}, {10, "c"}, {20, "d"}, {5, "e"}};
  std::set<std::vector<std::string>> orders;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const auto got = hosts_of(order_mx(records, seed));
    INFO("seed " << seed);
    REQUIRE(got.size() == 5);
    CHECK(got.front() == "e");
    CHECK(got.back() == "d");
    CHECK(std::set<std::string>(got.begin() + 1, got.end() - 1) ==
          std::set<std::string>{"a", "b", "c"});
    orders.insert(got);
  }
  CHECK(orders.size() == 6);  // every permutation of a, b, c turns up in 200 draws
  CHECK(order_mx(records, 42) == order_mx(records, 42));  // the seed decides
}

TEST_CASE("order_mx drops root hosts and repeats, and bounds the count") {
  const std::vector<MxRecord> records = {{20, "a"}, {0, ""}, {10, "a"}, {30, "b"}};
  const auto got = order_mx(records, 7);
  CHECK(got == std::vector<MxRecord>{{10, "a"}, {30, "b"}});

  std::vector<MxRecord> many;
  for (int i = 0; i < 50; ++i)
    many.push_back({std::uint16_t(50 - i), "h" + std::to_string(i)});
  const auto bounded = order_mx(many, 7);
  REQUIRE(bounded.size() == max_mx_records);
  CHECK(bounded.front().preference == 1);
  CHECK(bounded.back().preference == max_mx_records);
}

TEST_CASE("destinations keeps the hosts that have addresses, in order") {
  const std::vector<MxRecord> hosts = {{10, "a"}, {20, "gone"}, {30, "b"}, {40, "empty"}};
  std::vector<Result<Addresses>> lookups;
  lookups.emplace_back(addresses({"::1", "127.0.0.1"}));
  lookups.emplace_back(make_error("dns.not_found", "A lookup of gone: no such domain"));
  lookups.emplace_back(addresses({"127.0.0.2"}));
  lookups.emplace_back(Addresses{});
  const auto got = destinations(hosts, std::move(lookups));
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].host == "a");
  CHECK((*got)[0].preference == 10);
  CHECK_FALSE((*got)[0].implicit);
  CHECK((*got)[0].addresses == addresses({"::1", "127.0.0.1"}));
  CHECK((*got)[1].host == "b");
  CHECK((*got)[1].addresses == addresses({"127.0.0.2"}));
}

TEST_CASE("destinations without any address is dns.no_address and says why for each host") {
  const std::vector<MxRecord> hosts = {{10, "gone"}, {20, "empty"}};
  std::vector<Result<Addresses>> lookups;
  lookups.emplace_back(make_error("dns.temporary", "AAAA lookup of gone: Timeout"));
  lookups.emplace_back(Addresses{});
  const auto got = destinations(hosts, std::move(lookups));
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code == errc::no_address);
  CHECK_THAT(got.error().message, Catch::Contains("AAAA lookup of gone: Timeout"));
  CHECK_THAT(got.error().message, Catch::Contains("empty: no AAAA or A records"));
}

}  // namespace
}  // namespace tessera::dns
