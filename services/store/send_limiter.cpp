#include "send_limiter.hpp"

namespace tessera::store {
namespace {
constexpr std::int64_t kHourMs = 3600 * 1000;
}  // namespace

SendLimiter::Charge SendLimiter::charge(std::uint64_t account, std::uint32_t limit,
                                        std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (windows_.size() >= kMaxAccounts && !windows_.contains(account)) {
    // Full: forget the accounts that sent nothing for two hours.
    const auto hour = now_ms / kHourMs;
    std::erase_if(windows_, [hour](const auto& item) { return item.second.hour < hour - 1; });
  }
  auto& w = windows_[account];
  const auto hour = now_ms / kHourMs;
  if (w.hour != hour) {
    w.previous = w.hour == hour - 1 ? w.current : 0;
    w.current = 0;
    w.hour = hour;
  }
  const auto into_hour = now_ms - hour * kHourMs;
  const double weight = 1.0 - static_cast<double>(into_hour) / kHourMs;
  const auto sent = static_cast<std::uint32_t>(w.previous * weight) + w.current;
  Charge out{.allowed = limit == 0 || sent < limit, .sent_last_hour = sent, .retry_after_ms = 0};
  if (out.allowed) {
    ++w.current;
  } else {
    // A hint, not a promise: by the next hour the previous one weighs less.
    out.retry_after_ms = static_cast<std::uint32_t>(kHourMs - into_hour);
  }
  return out;
}

}  // namespace tessera::store
