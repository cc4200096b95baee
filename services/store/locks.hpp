// Striped locks: "one writer per account at a time" (design §4) and one writer per blob's
// reference count. A fixed table of mutexes indexed by a hash of the key keeps memory bounded
// whatever the number of accounts; two keys may share a stripe, which only serialises them.
//
// Deadlock freedom: a Guard takes its stripes in ascending order, and callers always take
// account stripes before blob stripes (never the reverse), so no two threads wait on each other.
// A Guard is held across the synced write, so the next writer of the account reads counters
// that include this write.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

namespace tessera::store {

class StripedLocks {
 public:
  static constexpr std::size_t kStripes = 1024;

  class Guard {
   public:
    Guard() = default;
    Guard(Guard&&) noexcept = default;
    Guard& operator=(Guard&&) noexcept = default;
    ~Guard() {
      // Release in reverse order of acquisition.
      for (auto it = held_.rbegin(); it != held_.rend(); ++it)
        it->unlock();
    }

   private:
    friend class StripedLocks;
    std::vector<std::unique_lock<std::mutex>> held_;
  };

  // Locks the stripes of every key (duplicates and shared stripes taken once).
  Guard lock(std::span<const std::uint64_t> keys) {
    std::vector<std::size_t> stripes;
    stripes.reserve(keys.size());
    for (auto key : keys)
      stripes.push_back(stripe(key));
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    Guard guard;
    guard.held_.reserve(stripes.size());
    for (auto s : stripes)
      guard.held_.emplace_back(mutexes_[s]);
    return guard;
  }
  Guard lock(std::uint64_t key) { return lock(std::span<const std::uint64_t>(&key, 1)); }

  // The first 8 bytes of a content hash spread evenly already.
  static std::uint64_t key_of(std::string_view id) {
    std::uint64_t key = 0;
    for (std::size_t i = 0; i < 8 && i < id.size(); ++i)
      key = (key << 8) | static_cast<unsigned char>(id[i]);
    return key;
  }

 private:
  static std::size_t stripe(std::uint64_t key) {
    key ^= key >> 33;  // mix so that consecutive account ids spread over stripes too
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key % kStripes;
  }
  std::array<std::mutex, kStripes> mutexes_;
};

// The two lock tables of one store.
struct Locks {
  StripedLocks accounts;
  StripedLocks blobs;
};

}  // namespace tessera::store
