#include "command.hpp"

#include <catch2/catch.hpp>

using tessera::imap::parse_command_line;

TEST_CASE("IMAP command lines split into tag, name and arguments") {
  struct Case {
    const char* line;
    const char* tag;
    const char* name;
    const char* arguments;
  };
  const Case cases[] = {
      {"a1 CAPABILITY", "a1", "CAPABILITY", ""},
      {"A002 noop", "A002", "NOOP", ""},
      {"x login user pass", "x", "LOGIN", "user pass"},
      {"t] logout", "t]", "LOGOUT", ""},
  };
  for (const auto& c : cases) {
    auto got = parse_command_line(c.line);
    INFO("line: " << c.line);
    REQUIRE(got);
    CHECK(got->tag == c.tag);
    CHECK(got->name == c.name);
    CHECK(got->arguments == c.arguments);
  }
}

TEST_CASE("IMAP command lines without a valid tag or name are errors") {
  struct Case {
    const char* line;
    const char* code;
  };
  const Case cases[] = {
      {"", "imap.no_tag"},
      {" NOOP", "imap.no_tag"},
      {"a+1 NOOP", "imap.no_tag"},
      {"a{1 NOOP", "imap.no_tag"},
      {"a1", "imap.bad_command"},
      {"a1 ", "imap.bad_command"},
      {"a1 NO0P", "imap.bad_command"},
      {"a1 \x01", "imap.bad_command"},
  };
  for (const auto& c : cases) {
    auto got = parse_command_line(c.line);
    INFO("line: " << c.line);
    REQUIRE_FALSE(got);
    CHECK(got.error().code == c.code);
  }
}
