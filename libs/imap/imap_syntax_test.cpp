#include <catch2/catch.hpp>

#include "imap/date_time.hpp"
#include "imap/fetch_items.hpp"
#include "imap/literal.hpp"
#include "imap/modifiers.hpp"
#include "imap/mutf7.hpp"
#include "imap/reader.hpp"
#include "imap/search_keys.hpp"
#include "imap/sequence_set.hpp"

using namespace tessera::imap;

TEST_CASE("strings: atoms, quoted with escapes, literals of both kinds, NIL") {
  Reader r("a1 \"x \\\"y\\\\\" {3}\r\nabc {2+}\r\nde NIL \"\"");
  CHECK(*r.tag() == "a1");
  REQUIRE(r.sp());
  CHECK(*r.astring() == "x \"y\\");
  REQUIRE(r.sp());
  CHECK(*r.astring() == "abc");
  REQUIRE(r.sp());
  CHECK(*r.string() == "de");
  REQUIRE(r.sp());
  CHECK_FALSE(r.nstring()->has_value());
  REQUIRE(r.sp());
  CHECK(*r.astring() == "");
  CHECK(r.at_end());
}

TEST_CASE("syntax errors say what was expected and where") {
  Reader bad_escape("\"a\\b\"");
  auto e = bad_escape.string();
  REQUIRE_FALSE(e);
  CHECK(e.error().code == "imap.syntax");
  CHECK(e.error().message == "bad escape in quoted string at octet 2");
  Reader short_literal("{10}\r\nabc");
  CHECK(short_literal.string().error().message.starts_with("literal shorter than announced"));
  Reader unterminated("\"abc");
  CHECK_FALSE(unterminated.string());
  Reader huge("99999999999");
  CHECK(huge.number().error().message.starts_with("number too large"));
  Reader zero("0");
  CHECK_FALSE(zero.nz_number());
  Reader plus_tag("+x");
  CHECK_FALSE(plus_tag.tag());
}

TEST_CASE("literal headers at the end of a line") {
  auto sync = trailing_literal("a APPEND INBOX {310}");
  REQUIRE(sync);
  CHECK(sync->size == 310);
  CHECK(sync->synchronizing);
  auto plus = trailing_literal("a LOGIN {3+}");
  REQUIRE(plus);
  CHECK_FALSE(plus->synchronizing);
  CHECK(trailing_literal("a APPEND INBOX ~{5}")->binary);
  CHECK_FALSE(trailing_literal("a NOOP"));
  CHECK_FALSE(trailing_literal("a X {}"));
  CHECK_FALSE(trailing_literal("a X {12a}"));
  CHECK_FALSE(trailing_literal("a X {123456789012345678901}"));
}

TEST_CASE("sequence sets resolve * and reversed ranges, merge and sort") {
  Reader r("4:2,7,*,10:*");
  auto set = parse_sequence_set(r);
  REQUIRE(set);
  CHECK(r.at_end());
  const auto ranges = resolve(*set, 12);
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[0] == std::pair<std::uint32_t, std::uint32_t>{2, 4});
  CHECK(ranges[1] == std::pair<std::uint32_t, std::uint32_t>{7, 7});
  CHECK(ranges[2] == std::pair<std::uint32_t, std::uint32_t>{10, 12});
  CHECK(resolve(*set, 0).size() == 2);  // "*" selects nothing in an empty mailbox
  Reader saved("$");
  CHECK(parse_sequence_set(saved)->saved);
  Reader bad("1:");
  CHECK_FALSE(parse_sequence_set(bad));
  Reader zero("0:3");
  CHECK_FALSE(parse_sequence_set(zero));
}

TEST_CASE("FETCH items: macros, sections, partials, BINARY") {
  Reader all("ALL");
  CHECK(parse_fetch_items(all)->size() == 4);
  Reader list(
      "(UID FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)] BODY[1.2.MIME] BODY[]<0.100> "
      "BINARY.PEEK[2]<5.10> BINARY.SIZE[2] RFC822.SIZE BODY BODYSTRUCTURE MODSEQ BODY[TEXT] "
      "BODY[3.HEADER])");
  auto items = parse_fetch_items(list);
  REQUIRE(items);
  REQUIRE(items->size() == 13);
  const auto& fields = (*items)[2];
  CHECK(fields.kind == FetchKind::body_section);
  CHECK(fields.peek);
  CHECK(fields.section.text == Section::Text::header_fields);
  CHECK(fields.section.fields == std::vector<std::string>{"FROM", "SUBJECT"});
  CHECK(fields.response_name() == "BODY[HEADER.FIELDS (FROM SUBJECT)]");
  CHECK((*items)[3].response_name() == "BODY[1.2.MIME]");
  CHECK((*items)[4].partial == std::pair<std::uint32_t, std::uint32_t>{0, 100});
  CHECK((*items)[4].response_name() == "BODY[]<0>");
  CHECK((*items)[5].kind == FetchKind::binary);
  CHECK((*items)[5].response_name() == "BINARY[2]<5>");
  CHECK((*items)[6].response_name() == "BINARY.SIZE[2]");
  CHECK((*items)[8].kind == FetchKind::body);
  CHECK((*items)[11].response_name() == "BODY[TEXT]");
  CHECK((*items)[12].response_name() == "BODY[3.HEADER]");
  Reader unknown("(FLAGS BOGUS)");
  CHECK(parse_fetch_items(unknown).error().message.starts_with("unknown fetch item \"BOGUS\""));
  Reader mime_top("BODY[MIME]");
  CHECK_FALSE(parse_fetch_items(mime_top));  // MIME needs a part number
  Reader empty("()");
  CHECK_FALSE(parse_fetch_items(empty));
}

TEST_CASE("modified UTF-7 mailbox names round-trip (RFC 3501 §5.1.3)") {
  CHECK(utf8_to_mutf7("Entwürfe") == "Entw&APw-rfe");
  CHECK(utf8_to_mutf7("A&B") == "A&-B");
  CHECK(utf8_to_mutf7("日本語") == "&ZeVnLIqe-");
  CHECK(utf8_to_mutf7("😀") == "&2D3eAA-");
  CHECK(*mutf7_to_utf8("Entw&APw-rfe") == "Entwürfe");
  CHECK(*mutf7_to_utf8("&ZeVnLIqe-") == "日本語");
  CHECK(*mutf7_to_utf8("&2D3eAA-") == "😀");
  CHECK(*mutf7_to_utf8("A&-B") == "A&B");
  CHECK_FALSE(mutf7_to_utf8("&AGE-"));        // "a" must not be encoded
  CHECK_FALSE(mutf7_to_utf8("&ZeVn"));        // unterminated
  CHECK_FALSE(mutf7_to_utf8("&2D0-"));        // lone surrogate
  CHECK_FALSE(mutf7_to_utf8("caf\xC3\xA9"));  // 8-bit is not modified UTF-7
}

TEST_CASE("dates: APPEND date-time with zones, SEARCH dates, bad ones refused") {
  CHECK(*parse_date_time("17-Jul-1996 02:44:25 -0700") == 837596665000);
  CHECK(*parse_date_time(" 1-Jan-1970 00:00:00 +0000") == 0);
  CHECK(*parse_date_time("1-jan-1970 01:00:00 +0100") == 0);
  CHECK_FALSE(parse_date_time("17-Jul-1996 02:44:25"));
  CHECK_FALSE(parse_date_time("30-Feb-2024 00:00:00 +0000"));
  CHECK_FALSE(parse_date_time("17-Jux-1996 02:44:25 -0700"));
  CHECK(*parse_date("1-Feb-1994") == 8797);
  CHECK(*parse_date("29-Feb-2024") == 19782);
  CHECK_FALSE(parse_date("29-Feb-2023"));
  CHECK_FALSE(parse_date("1-Feb-94"));
}

TEST_CASE("astring: a tilde is an atom character unless literal8 follows") {
  Reader r("~foo ~{2}\r\nab");
  CHECK(*r.astring() == "~foo");
  REQUIRE(r.sp());
  CHECK(*r.astring() == "ab");
}

TEST_CASE("search: keys, nesting, RETURN and CHARSET, errors") {
  using K = SearchKey::Kind;
  Reader r(
      "RETURN (MIN COUNT) CHARSET utf-8 OR (FROM \"a b\" 1:3) NOT SEEN UNDELETED "
      "HEADER X-Tag {3}\r\nabc SINCE 1-Feb-1994 UID $ MODSEQ 7");
  auto p = parse_search(r);
  REQUIRE(p);
  CHECK(p->result.present);
  CHECK(p->result.min);
  CHECK(p->result.count);
  CHECK_FALSE(p->result.all);
  CHECK(*p->charset == "UTF-8");
  CHECK(p->uses_modseq);
  const auto& keys = p->root.children;
  REQUIRE(keys.size() == 6);
  CHECK(keys[0].kind == K::or_);
  CHECK(keys[0].children[0].kind == K::and_);
  CHECK(keys[0].children[0].children[0].text == "a b");
  CHECK(keys[0].children[1].kind == K::not_);
  CHECK(keys[1].kind == K::not_);  // UNDELETED
  CHECK(keys[2].field == "X-TAG");
  CHECK(keys[2].text == "abc");
  CHECK(keys[3].day == 8797);
  CHECK(keys[4].set.saved);
  CHECK(keys[5].number == 7);
  Reader empty_return("RETURN () ALL");
  CHECK(parse_search(empty_return)->result.all);  // RFC 4731: () means ALL
  Reader unknown("FOO");
  CHECK(parse_search(unknown).error().message.starts_with("unknown search key FOO"));
  Reader missing("SUBJECT");
  CHECK_FALSE(parse_search(missing));
  std::string deep;
  for (int i = 0; i < 200; ++i)
    deep += "NOT ";
  deep += "ALL";
  Reader nested(deep);  // a Reader views its text: the string must outlive it
  CHECK(parse_search(nested).error().message.starts_with("search criteria nested too deeply"));
  Reader star("UID 5:4294967295");
  CHECK(resolve(parse_search(star)->root.children[0].set, 3) ==
        std::vector<std::pair<std::uint32_t, std::uint32_t>>{{5, 4294967295U}});
}

TEST_CASE("RFC 7162 modifiers: SELECT CONDSTORE/QRESYNC, CHANGEDSINCE, UNCHANGEDSINCE") {
  Reader select("(condstore QRESYNC (67890007 20050715194045000 41,43:211,214:541 (1:3 4:6)))");
  auto params = parse_select_params(select);
  REQUIRE(params);
  CHECK(select.at_end());
  CHECK(params->condstore);
  REQUIRE(params->qresync);
  CHECK(params->qresync->uid_validity == 67890007);
  CHECK(params->qresync->modseq == 20050715194045000ULL);
  REQUIRE(params->qresync->known_uids);
  CHECK(params->qresync->known_uids->ranges.size() == 3);
  Reader short_form("(QRESYNC (1 2))");
  REQUIRE(parse_select_params(short_form));
  Reader match_only("(QRESYNC (1 2 (1 7)))");
  auto matched = parse_select_params(match_only);
  REQUIRE(matched);
  CHECK_FALSE(matched->qresync->known_uids);
  for (const char* bad : {"(CONDSTORE CONDSTORE)", "(QRESYNC (0 5))", "(QRESYNC (1 0))", "(BOGUS)",
                          "()", "(QRESYNC (1 2 $))"}) {
    Reader r(bad);
    CHECK_FALSE(parse_select_params(r));
  }

  Reader fetch("(CHANGEDSINCE 12345 VANISHED)");
  auto modifiers = parse_fetch_modifiers(fetch);
  REQUIRE(modifiers);
  CHECK(*modifiers->changed_since == 12345);
  CHECK(modifiers->vanished);
  Reader lone("(VANISHED)");
  CHECK_FALSE(parse_fetch_modifiers(lone));  // VANISHED needs CHANGEDSINCE (§3.2.6)
  Reader zero("(CHANGEDSINCE 0)");
  CHECK_FALSE(parse_fetch_modifiers(zero));

  Reader store("(UNCHANGEDSINCE 0)");
  auto unchanged = parse_store_modifiers(store);
  REQUIRE(unchanged);
  CHECK(*unchanged->unchanged_since == 0);  // legal: fails for every message
  Reader huge("(UNCHANGEDSINCE 9223372036854775808)");
  CHECK_FALSE(parse_store_modifiers(huge));
}
