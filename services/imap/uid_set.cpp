#include "uid_set.hpp"

#include <algorithm>

namespace tessera::imap {

store::v1::UidSet to_uid_set(const std::vector<std::uint32_t>& ascending) {
  store::v1::UidSet set;
  for (auto uid : ascending) {
    auto* ranges = set.mutable_ranges();
    if (!ranges->empty() && (*ranges)[ranges->size() - 1].last() + 1 == uid) {
      (*ranges)[ranges->size() - 1].set_last(uid);
      continue;
    }
    auto* range = set.add_ranges();
    range->set_first(uid);
    range->set_last(uid);
  }
  return set;
}

std::vector<std::uint32_t> expand(const store::v1::UidSet& set, std::uint32_t largest) {
  std::vector<std::uint32_t> out;
  for (const auto& range : set.ranges()) {
    const auto last = std::min(range.last(), largest);
    for (auto uid = range.first(); uid != 0 && uid <= last; ++uid) {
      out.push_back(uid);
      if (uid == 0xFFFFFFFFU) break;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string format_uid_set(const std::vector<std::uint32_t>& ascending) {
  UidRanges runs;
  for (auto uid : ascending) {
    if (!runs.empty() && std::uint64_t{runs.back().second} + 1 == uid)
      runs.back().second = uid;
    else
      runs.emplace_back(uid, uid);
  }
  return format_ranges(runs);
}

std::uint32_t msn_of(const std::vector<std::uint32_t>& uids, std::uint32_t uid) {
  auto it = std::lower_bound(uids.begin(), uids.end(), uid);
  if (it == uids.end() || *it != uid) return 0;
  return static_cast<std::uint32_t>(it - uids.begin()) + 1;
}

UidRanges missing(const UidRanges& within, const std::vector<std::uint32_t>& existing) {
  UidRanges out;
  for (auto [first, last] : within) {
    auto it = std::lower_bound(existing.begin(), existing.end(), first);
    std::uint64_t next = first;  // 64 bits: last may be 4294967295
    for (; it != existing.end() && *it <= last; ++it) {
      if (*it > next) out.emplace_back(static_cast<std::uint32_t>(next), *it - 1);
      next = std::uint64_t{*it} + 1;
    }
    if (next <= last) out.emplace_back(static_cast<std::uint32_t>(next), last);
  }
  return out;
}

std::string format_ranges(const UidRanges& ranges) {
  std::string out;
  for (auto [first, last] : ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last > first) out += ':' + std::to_string(last);
  }
  return out;
}

bool contains(const UidRanges& ranges, std::uint32_t uid) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const auto& r) { return uid >= r.first && uid <= r.second; });
}

}  // namespace tessera::imap
