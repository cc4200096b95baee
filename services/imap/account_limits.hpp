// Per-account and per-session pacing: how many connections one account may hold at once in
// this process (Thunderbird opens up to 5 per account, a phone 1-2; a runaway client or a
// stolen password hundreds), and a token bucket that slows a session issuing commands faster
// than a person's client would, instead of refusing them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>

namespace tessera::imap {

class AccountConnections {
 public:
  explicit AccountConnections(int limit) : limit_(limit) {}

  // A held slot of one account; released when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(AccountConnections* owner, std::uint64_t account) : owner_(owner), account_(account) {}
    Slot(Slot&& other) noexcept : owner_(other.owner_), account_(other.account_) {
      other.owner_ = nullptr;
    }
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    void release();
    AccountConnections* owner_ = nullptr;
    std::uint64_t account_ = 0;
  };

  // A slot, or an empty one when the account already holds `limit` connections. Thread-safe.
  Slot acquire(std::uint64_t account);
  int held(std::uint64_t account) const;

 private:
  int limit_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, int> held_;
};

// Token bucket: `rate` commands per second on average, bursts of `burst`.
class CommandPace {
 public:
  using Clock = std::chrono::steady_clock;
  CommandPace(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // How long to wait before running the next command (zero when there is a token).
  Clock::duration take(Clock::time_point now);

 private:
  double rate_, burst_, tokens_;
  Clock::time_point last_{};
};

}  // namespace tessera::imap
