// Converting between the session's sorted UID vectors and the store's UidSet, and writing the
// IMAP form of a UID set ("1:3,7") for COPYUID/APPENDUID (RFC 4315 §3) and VANISHED (RFC 7162).
#pragma once

#include <cstdint>
#include <string>
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

}  // namespace tessera::imap
