#include "imap/sequence_set.hpp"

#include <algorithm>

namespace tessera::imap {
namespace {

constexpr std::size_t kMaxRanges = 100000;  // a longer set is abuse, refused as BAD

Result<std::uint64_t> seq_number(Reader& reader) {
  if (reader.try_char('*')) return kStar;
  auto n = reader.nz_number();
  if (!n) return n.error();
  return std::uint64_t{*n};
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
  for (auto [written_a, written_b] : set.ranges) {
    auto a = static_cast<std::uint32_t>(written_a == kStar ? largest : written_a);
    auto b = static_cast<std::uint32_t>(written_b == kStar ? largest : written_b);
    if (a == 0 || b == 0) {
      if (largest == 0) continue;  // "*" in an empty mailbox selects nothing
    }
    if (a > b) std::swap(a, b);
    out.emplace_back(std::max<std::uint32_t>(a, 1), b);
  }
  std::sort(out.begin(), out.end());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
  for (const auto& r : out) {
    if (!merged.empty() &&
        (merged.back().second == 0xFFFFFFFFU || r.first <= merged.back().second + 1)) {
      merged.back().second = std::max(merged.back().second, r.second);
      continue;
    }
    merged.push_back(r);
  }
  return merged;
}

}  // namespace tessera::imap
