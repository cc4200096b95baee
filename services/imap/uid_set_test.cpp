#include "uid_set.hpp"

#include <catch2/catch.hpp>

namespace imap = tessera::imap;

TEST_CASE("UID sets: runs, formatting and what a range lacks (VANISHED EARLIER)") {
  const std::vector<std::uint32_t> uids = {1, 2, 3, 7, 9, 10};
  CHECK(imap::format_uid_set(uids) == "1:3,7,9:10");
  const auto set = imap::to_uid_set(uids);
  REQUIRE(set.ranges_size() == 3);
  CHECK(imap::expand(set) == uids);
  CHECK(imap::format_ranges(imap::missing({{1, 12}}, uids)) == "4:6,8,11:12");
  CHECK(imap::format_ranges(imap::missing({{2, 3}, {7, 7}}, uids)).empty());
  CHECK(imap::format_ranges(imap::missing({{4294967290U, 4294967295U}}, uids)) ==
        "4294967290:4294967295");
  CHECK(imap::format_ranges(imap::missing({{1, 4294967295U}}, {4294967295U})) == "1:4294967294");
}
