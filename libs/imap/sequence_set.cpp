#include "imap/sequence_set.hpp"

#include <algorithm>

namespace tessera::imap {
namespace {

constexpr std::size_t kMaxRanges = 100000;  // a longer set is abuse, refused as BAD

Result<std::uint32_t> seq_number(Reader& reader) {
  if (reader.try_char('*')) return kStar;
  return reader.nz_number();
}

}  // namespace

Result<SequenceSet> parse_sequence_set(Reader& reader) {
  SequenceSet set;
  if (reader.try_char('$')) {
    set.saved = true;
    return set;
  }
  for (;;) {
    auto first = seq_number(reader);
    if (!first) return reader.error("expected a sequence set");
    auto last = *first;
    if (reader.try_char(':')) {
      auto second = seq_number(reader);
      if (!second) return reader.error("expected a number or * after ':'");
      last = *second;
    }
    set.ranges.emplace_back(*first, last);
    if (set.ranges.size() > kMaxRanges) return reader.error("sequence set too long");
    if (!reader.try_char(',')) return set;
  }
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> resolve(const SequenceSet& set,
                                                             std::uint32_t largest) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (auto [a, b] : set.ranges) {
    if (a == kStar) a = largest;
    if (b == kStar) b = largest;
    if (a == 0 || b == 0) {
      if (largest == 0) continue;  // "*" in an empty mailbox selects nothing
    }
    if (a > b) std::swap(a, b);
    out.emplace_back(std::max<std::uint32_t>(a, 1), b);
  }
  std::sort(out.begin(), out.end());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
  for (const auto& r : out) {
    if (!merged.empty() && (merged.back().second == kStar || r.first <= merged.back().second + 1)) {
      merged.back().second = std::max(merged.back().second, r.second);
      continue;
    }
    merged.push_back(r);
  }
  return merged;
}

}  // namespace tessera::imap
