// POP3 maildrop locks (RFC 1939 §8, RFC 2449 §8 IN-USE): at most one POP3 session at a time, on
// any pop3 replica, holds an account's maildrop, so two sessions never both enter the UPDATE
// state with different views of the same INBOX. Kept here rather than in a pop3 process so
// every replica sees the same lock.
//
// In memory, not in RocksDB: a restarted store has no locks, which only lets a second client in
// sooner. That is acceptable because RFC 1939 §8 asks the lock to protect the UPDATE state, and
// every change pop3 makes there (MoveToTrash of UIDs it listed) is a store Txn that skips UIDs
// already gone. A crashed pop3 process stops renewing, so its lock lapses after the ttl.
//
// Thread-safe (the store's gRPC threads); one entry per locked account, removed on unlock and
// on a later lock or renew after expiry, and expired entries are swept lazily as the table grows.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/result.hpp"
#include "context.hpp"
#include "tessera/store/v1/mailboxes.pb.h"

namespace tessera::store {

class MaildropLocks {
 public:
  explicit MaildropLocks(Context& context) : context_(context) {}

  Result<v1::LockMaildropReply> lock(const v1::LockMaildropRequest& request);
  Result<v1::LockMaildropReply> renew(const v1::RenewMaildropLockRequest& request);
  Result<v1::UnlockMaildropReply> unlock(const v1::UnlockMaildropRequest& request);

  // Entries held, expired ones not yet swept included (tests).
  std::size_t size();

  static constexpr std::uint32_t kDefaultTtlMs = 10 * 60 * 1000;
  static constexpr std::uint32_t kMaxTtlMs = 60 * 60 * 1000;
  static constexpr std::size_t kMaxHolderBytes = 256;

 private:
  struct Held {
    std::string token;
    std::string holder;
    std::int64_t expires_ms = 0;
  };
  static constexpr std::size_t kFirstSweep = 1024;

  // The account's unexpired lock, or nullptr (an expired entry is erased). Under mutex_.
  Held* current(std::uint64_t account, std::int64_t now);
  void sweep_if_grown(std::int64_t now);

  Context& context_;
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Held> held_;
  std::size_t next_sweep_ = kFirstSweep;
};

}  // namespace tessera::store
