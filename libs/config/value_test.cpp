#include "config/value.hpp"

#include <catch2/catch.hpp>

namespace tessera::config {
namespace {

using std::chrono::milliseconds;

TEST_CASE("parse_size reads SI and binary units") {
  struct Case {
    std::string text;
    std::uint64_t want;
  };
  const std::vector<Case> cases = {
      {"0", 0},
      {"512", 512},
      {"512B", 512},
      {"64KiB", 64 * 1024},
      {"64 KiB", 64 * 1024},
      {"  1MiB ", 1024 * 1024},
      {"50MB", 50'000'000},
      {"1kB", 1000},
      {"1KB", 1000},
      {"2GiB", 2ULL << 30},
      {"3GB", 3'000'000'000ULL},
      {"1TiB", 1ULL << 40},
      {"16777215TiB", 16777215ULL << 40},  // 2^64 - 2^40: the largest TiB count that fits
  };
  for (const Case& c : cases) {
    auto got = parse_size(c.text);
    INFO("text=\"" << c.text << "\" want=" << c.want);
    REQUIRE(got.has_value());
    CHECK(*got == c.want);
  }
}

TEST_CASE("parse_size refuses what is not a size") {
  for (const std::string text : {"", "lots", "MB", "-1", "+1", "1.5MB", "1 M", "1mb", "1MBB", "64k",
                                 "16777216TiB", "99999999999999999999", "1 2"}) {
    auto got = parse_size(text);
    INFO("text=\"" << text << "\"");
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == "config.bad_value");
    CHECK(got.error().message == "expected a size like 64KiB or 50MB, got \"" + text + "\"");
  }
}

TEST_CASE("parse_duration reads unit sequences") {
  struct Case {
    std::string text;
    milliseconds want;
  };
  const std::vector<Case> cases = {
      {"0", milliseconds(0)},
      {"250ms", milliseconds(250)},
      {"30s", milliseconds(30'000)},
      {"5m", milliseconds(300'000)},
      {"2h", milliseconds(7'200'000)},
      {"1d", milliseconds(86'400'000)},
      {"1h30m", milliseconds(5'400'000)},
      {"1m500ms", milliseconds(60'500)},
      {" 10s ", milliseconds(10'000)},
      {"0s", milliseconds(0)},
  };
  for (const Case& c : cases) {
    auto got = parse_duration(c.text);
    INFO("text=\"" << c.text << "\" want=" << c.want.count());
    REQUIRE(got.has_value());
    CHECK(*got == c.want);
  }
}

TEST_CASE("parse_duration refuses bare numbers and unknown units") {
  for (const std::string text : {"", "30", "s", "5 m", "5min", "1.5s", "-5s", "5S", "1h30",
                                 "999999999999999999d", "9223372036854775807ms1ms"}) {
    auto got = parse_duration(text);
    INFO("text=\"" << text << "\"");
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().message == "expected a duration like 30s, 5m or 250ms, got \"" + text + "\"");
  }
}

TEST_CASE("parse_endpoint reads host:port and [v6]:port") {
  struct Case {
    std::string text;
    Endpoint want;
    std::string canonical;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1:143", {"127.0.0.1", 143}, "127.0.0.1:143"},
      {"[::1]:143", {"::1", 143}, "[::1]:143"},
      {"[2001:db8::5]:993", {"2001:db8::5", 993}, "[2001:db8::5]:993"},
      {"0.0.0.0:0", {"0.0.0.0", 0}, "0.0.0.0:0"},
      {"mail.example:25", {"mail.example", 25}, "mail.example:25"},
      {"localhost:65535", {"localhost", 65535}, "localhost:65535"},
  };
  for (const Case& c : cases) {
    auto got = parse_endpoint(c.text, false);
    INFO("text=\"" << c.text << "\"");
    REQUIRE(got.has_value());
    CHECK(got->host == c.want.host);
    CHECK(got->port == c.want.port);
    CHECK(got->to_string() == c.canonical);
  }
}

TEST_CASE("parse_endpoint refuses malformed endpoints") {
  for (const std::string text :
       {"", "127.0.0.1", ":143", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+1",
        "::1:143", "[::1:143", "[127.0.0.1]:143", "a b:1", "host:x", "[]:1"}) {
    auto got = parse_endpoint(text, false);
    INFO("text=\"" << text << "\"");
    CHECK_FALSE(got.has_value());
  }
  auto got = parse_endpoint("::1:143", false);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message.find("IPv6 addresses go in brackets") != std::string::npos);
}

TEST_CASE("parse_endpoint accepts empty only when allowed") {
  auto off = parse_endpoint("", true);
  REQUIRE(off.has_value());
  CHECK_FALSE(off->is_set());
  CHECK(off->to_string().empty());
  CHECK_FALSE(parse_endpoint("", false).has_value());
}

TEST_CASE("parse_bool and parse_integer") {
  for (const std::string text : {"true", "TRUE", "yes", "On", "1"}) {
    auto got = parse_bool(text);
    INFO(text);
    REQUIRE(got.has_value());
    CHECK(*got);
  }
  for (const std::string text : {"false", "No", "off", "0"}) {
    auto got = parse_bool(text);
    INFO(text);
    REQUIRE(got.has_value());
    CHECK_FALSE(*got);
  }
  CHECK(parse_bool("maybe").error().message == "expected true or false, got \"maybe\"");

  CHECK(*parse_integer("42", 0, 100) == 42);
  CHECK(*parse_integer("-5", -10, 10) == -5);
  CHECK(*parse_integer(" 7 ", 0, 10) == 7);
  for (const std::string text : {"", "101", "-1", "4x", "0x10", "1e3"}) {
    auto got = parse_integer(text, 0, 100);
    INFO(text);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().message == "expected an integer from 0 to 100, got \"" + text + "\"");
  }
}

TEST_CASE("split_list splits on commas and drops blanks") {
  CHECK(split_list("").empty());
  CHECK(split_list(" , ").empty());
  CHECK(split_list("a") == std::vector<std::string>{"a"});
  CHECK(split_list("a, b,c ,") == std::vector<std::string>{"a", "b", "c"});
}

}  // namespace
}  // namespace tessera::config
