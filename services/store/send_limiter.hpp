// RL-03: how many messages an account submitted in the last hour, for the relay's sending
// limit. Kept here, not in a relay process, so every relay replica counts against the same
// number. An approximate sliding hour from two fixed hours (this one and the one before,
// weighted by how much of it still lies in the window): O(1) memory per account, bounded
// tables. Per store process; a restart forgets it (a rate limit, not an accounting record).
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace tessera::store {

class SendLimiter {
 public:
  struct Charge {
    bool allowed = false;
    std::uint32_t sent_last_hour = 0;  // before this message
    std::uint32_t retry_after_ms = 0;  // when refused: a hint (until the hour turns)
  };

  // Counts one message for `account` if fewer than `limit` went out in the last hour (limit 0:
  // no limit, always counted).
  Charge charge(std::uint64_t account, std::uint32_t limit, std::int64_t now_ms);

 private:
  struct Window {
    std::int64_t hour = 0;  // now_ms / 1 h of `current`
    std::uint32_t current = 0;
    std::uint32_t previous = 0;
  };
  static constexpr std::size_t kMaxAccounts = 200000;

  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Window> windows_;
};

}  // namespace tessera::store
