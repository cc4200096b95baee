#include "maildrop_locks.hpp"

#include <algorithm>

#include "crypto/random.hpp"
#include "errors.hpp"
#include "mailboxes.hpp"

namespace tessera::store {
namespace {

Result<std::uint32_t> ttl_of(std::uint32_t ttl_ms) {
  if (ttl_ms == 0) return MaildropLocks::kDefaultTtlMs;
  if (ttl_ms > MaildropLocks::kMaxTtlMs)
    return invalid_argument("a maildrop lock lives at most " +
                            std::to_string(MaildropLocks::kMaxTtlMs) + " ms");
  return ttl_ms;
}

v1::LockMaildropReply reply_of(const std::string& token, std::int64_t expires_ms) {
  v1::LockMaildropReply reply;
  reply.set_lock_token(token);
  reply.set_expires_unix_ms(expires_ms);
  return reply;
}

}  // namespace

MaildropLocks::Held* MaildropLocks::current(std::uint64_t account, std::int64_t now) {
  auto found = held_.find(account);
  if (found == held_.end()) return nullptr;
  if (found->second.expires_ms <= now) {
    held_.erase(found);
    return nullptr;
  }
  return &found->second;
}

void MaildropLocks::sweep_if_grown(std::int64_t now) {
  if (held_.size() < next_sweep_) return;
  std::erase_if(held_, [now](const auto& item) { return item.second.expires_ms <= now; });
  // Amortised O(1) per lock: the next sweep waits until the live table has doubled.
  next_sweep_ = std::max(kFirstSweep, 2 * held_.size());
}

Result<v1::LockMaildropReply> MaildropLocks::lock(const v1::LockMaildropRequest& request) {
  if (request.holder().empty()) return invalid_argument("a maildrop lock names its holder");
  if (request.holder().size() > kMaxHolderBytes)
    return invalid_argument("a maildrop lock holder is at most 256 bytes");
  auto ttl = ttl_of(request.ttl_ms());
  if (!ttl) return ttl.error();
  auto state = read_account_state(context_.db, request.account_id());
  if (!state) return state.error();
  if (!*state) return not_found("no such account " + std::to_string(request.account_id()));
  const auto now = context_.now_ms();
  std::lock_guard guard(mutex_);
  if (const auto* held = current(request.account_id(), now))
    return failed_precondition("maildrop of account " + std::to_string(request.account_id()) +
                               " is locked by " + held->holder);
  sweep_if_grown(now);
  Held& entry = held_[request.account_id()];
  entry =
      Held{.token = crypto::random_token(16), .holder = request.holder(), .expires_ms = now + *ttl};
  return reply_of(entry.token, entry.expires_ms);
}

Result<v1::LockMaildropReply> MaildropLocks::renew(const v1::RenewMaildropLockRequest& request) {
  auto ttl = ttl_of(request.ttl_ms());
  if (!ttl) return ttl.error();
  const auto now = context_.now_ms();
  std::lock_guard guard(mutex_);
  auto* held = current(request.account_id(), now);
  if (held == nullptr || held->token != request.lock_token())
    return failed_precondition("not the current maildrop lock of account " +
                               std::to_string(request.account_id()));
  held->expires_ms = now + *ttl;
  return reply_of(held->token, held->expires_ms);
}

Result<v1::UnlockMaildropReply> MaildropLocks::unlock(const v1::UnlockMaildropRequest& request) {
  const auto now = context_.now_ms();
  std::lock_guard guard(mutex_);
  v1::UnlockMaildropReply reply;
  auto* held = current(request.account_id(), now);
  if (held != nullptr && held->token == request.lock_token()) {
    held_.erase(request.account_id());
    reply.set_released(true);
  }
  return reply;
}

std::size_t MaildropLocks::size() {
  std::lock_guard guard(mutex_);
  return held_.size();
}

}  // namespace tessera::store
