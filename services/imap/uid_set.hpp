// Converting between the session's sorted UID vectors and the store's UidSet, and writing the
// IMAP form of a UID set ("1:3,7") for COPYUID/APPENDUID (RFC 4315 §3) and VANISHED (RFC 7162).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tessera/store/v1/common.pb.h"

namespace tessera::imap {

// Ascending UIDs as runs.
store::v1::UidSet to_uid_set(const std::vector<std::uint32_t>& ascending);
// Every UID a set names, ascending, duplicates removed. A run ending at 4294967295 ("*") is cut
// at `largest` so a "1:*" never expands past the UIDs that exist.
std::vector<std::uint32_t> expand(const store::v1::UidSet& set,
                                  std::uint32_t largest = 0xFFFFFFFFU);
// "1:3,7,9:10" for ascending UIDs (sequence-set syntax, RFC 9051 §9).
std::string format_uid_set(const std::vector<std::uint32_t>& ascending);

// The message sequence number of `uid` in a session's ascending UIDs; 0 if it is not there.
std::uint32_t msn_of(const std::vector<std::uint32_t>& uids, std::uint32_t uid);

using UidRanges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
// The UIDs of `within` (ascending, merged, inclusive ranges) that `existing` (ascending) lacks,
// as ranges: what VANISHED (EARLIER) reports when the change log no longer reaches back.
UidRanges missing(const UidRanges& within, const std::vector<std::uint32_t>& existing);
// "1:3,7" for ascending ranges.
std::string format_ranges(const UidRanges& ranges);
// Is `uid` in one of `ranges`?
bool contains(const UidRanges& ranges, std::uint32_t uid);

}  // namespace tessera::imap
