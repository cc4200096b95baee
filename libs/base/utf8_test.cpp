#include "base/utf8.hpp"

#include <catch2/catch.hpp>

TEST_CASE("UTF-8 validation refuses overlongs, surrogates, truncation and stray bytes") {
  using tessera::valid_utf8;
  CHECK(valid_utf8("Entwürfe 日本語 😀"));
  CHECK(valid_utf8(""));
  CHECK_FALSE(valid_utf8("\xC0\xAF"));          // overlong "/"
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // U+D800 surrogate
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(valid_utf8("caf\xC3"));           // truncated
  CHECK_FALSE(valid_utf8("\x80"));
}

TEST_CASE("decode_utf8 replaces each bad byte; append_utf8 round-trips") {
  const auto cps = tessera::decode_utf8("a\xFF\xC3\xA9\xF0\x9F\x98\x80");
  REQUIRE(cps.size() == 4);
  CHECK(cps[1] == U'\uFFFD');
  CHECK(cps[2] == U'é');
  std::string out;
  for (auto cp : cps)
    tessera::append_utf8(out, cp);
  CHECK(out == "a\xEF\xBF\xBD\xC3\xA9\xF0\x9F\x98\x80");
}
