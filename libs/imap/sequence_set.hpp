// Sequence sets (RFC 9051 §9 sequence-set; "$" is the saved search result, RFC 5182).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "imap/reader.hpp"

namespace tessera::imap {

// "*": the largest number in use. Outside the 32-bit range so that a literal 4294967295 (a UID
// set's usual upper end) stays that number.
inline constexpr std::uint64_t kStar = 0x100000000ULL;

struct SequenceSet {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // as written; kStar for "*"
  bool saved = false;                                           // "$"
};

Result<SequenceSet> parse_sequence_set(Reader& reader);

// Ascending, merged, non-empty ranges with "*" read as `largest` (RFC 9051 §9: "n:m" in either
// order; numbers past `largest` stay as written, so UID sets keep their meaning). With
// largest == 0 (empty mailbox) "*" stands for no message.
std::vector<std::pair<std::uint32_t, std::uint32_t>> resolve(const SequenceSet& set,
                                                             std::uint32_t largest);

}  // namespace tessera::imap
