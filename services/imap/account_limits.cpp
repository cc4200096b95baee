#include "account_limits.hpp"

#include <algorithm>

namespace tessera::imap {

AccountConnections::Slot& AccountConnections::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    account_ = other.account_;
    other.owner_ = nullptr;
  }
  return *this;
}

void AccountConnections::Slot::release() {
  if (!owner_) return;
  std::lock_guard lock(owner_->mutex_);
  auto it = owner_->held_.find(account_);
  if (it != owner_->held_.end() && --it->second <= 0) owner_->held_.erase(it);
  owner_ = nullptr;
}

AccountConnections::Slot AccountConnections::acquire(std::uint64_t account) {
  std::lock_guard lock(mutex_);
  auto& count = held_[account];
  if (count >= limit_) {
    if (count == 0) held_.erase(account);
    return {};
  }
  ++count;
  return Slot(this, account);
}

int AccountConnections::held(std::uint64_t account) const {
  std::lock_guard lock(mutex_);
  auto it = held_.find(account);
  return it == held_.end() ? 0 : it->second;
}

CommandPace::Clock::duration CommandPace::take(Clock::time_point now) {
  if (last_ != Clock::time_point{}) {
    const std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
  }
  last_ = now;
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::duration::zero();
  // In debt: wait until the token this command took would have arrived.
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(-tokens_ / rate_));
}

}  // namespace tessera::imap
