// Txn: one mutation of one or more accounts, committed as one synced RocksDB batch.
//
// begin() takes the account stripes (one writer per account, design §4) and holds them until the
// Txn is destroyed, so counters read here are current and the next writer sees this write. Each
// touched account takes ONE new MODSEQ (its highest + 1) for the whole mutation; every change
// record, message record and mailbox HIGHESTMODSEQ of the mutation carries it (RFC 7162 §3.1.1
// lets several messages share a modseq). commit() writes the account counters, the dirty
// mailbox records and the change set, applies the blob reference delta under the blob stripes,
// syncs, then publishes a WatchEvent per account. A Txn that recorded no change writes nothing
// and consumes no modseq.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include <rocksdb/write_batch.h>

#include "base/result.hpp"
#include "blobs.hpp"
#include "context.hpp"
#include "locks.hpp"
#include "tessera/store/v1/changes.pb.h"
#include "tessera/store/v1/common.pb.h"
#include "tessera/storedb/v1/records.pb.h"

namespace tessera::store {

class Txn;

// The part of a Txn that concerns one account.
class AccountEdit {
 public:
  std::uint64_t account_id() const { return account_id_; }
  // The modseq this mutation commits with (the account's highest + 1).
  std::uint64_t modseq() const { return state_.highest_modseq() + 1; }
  storedb::v1::AccountState& state() { return state_; }

  // A mailbox record of this account, loaded once and written back at commit if touched through
  // edit_mailbox(). NOT_FOUND when the account has no such mailbox (or, by role, no such folder).
  Result<const storedb::v1::MailboxRecord*> mailbox(std::uint64_t mailbox_id);
  Result<std::uint64_t> resolve(const v1::MailboxRef& ref);
  // The same record, marked dirty: its HIGHESTMODSEQ becomes this mutation's modseq.
  Result<storedb::v1::MailboxRecord*> edit_mailbox(std::uint64_t mailbox_id);
  // A mailbox that does not exist yet (CreateMailbox, new account); written at commit.
  storedb::v1::MailboxRecord& add_mailbox(std::uint64_t mailbox_id);
  // A mailbox to delete at commit (its messages are the caller's business).
  void remove_mailbox(std::uint64_t mailbox_id);
  // Every mailbox of the account (parents before children is not guaranteed: by id).
  Result<std::vector<const storedb::v1::MailboxRecord*>> all_mailboxes();

  // Adds a change record; modseq and time are filled in. Message changes with the same kind and
  // mailbox are merged into one record.
  void record(v1::ChangeKind kind, std::uint64_t mailbox_id, std::uint32_t uid = 0);
  void record_mailbox(v1::ChangeKind kind, const v1::Mailbox& mailbox);
  bool changed() const { return !changes_.empty() || force_write_; }
  // Write the counters even without a change record (e.g. a new account).
  void force_write() { force_write_ = true; }
  // The account is being removed: commit writes nothing for it (the caller deleted its keys).
  void mark_dropped() { dropped_ = true; }

 private:
  friend class Txn;
  AccountEdit(Txn& txn, std::uint64_t account_id, storedb::v1::AccountState state)
      : txn_(&txn), account_id_(account_id), state_(std::move(state)) {}

  Txn* txn_;
  std::uint64_t account_id_;
  storedb::v1::AccountState state_;
  std::map<std::uint64_t, storedb::v1::MailboxRecord> mailboxes_;  // loaded or added
  std::map<std::uint64_t, bool> dirty_;                            // id → removed?
  bool all_loaded_ = false;
  std::vector<v1::Change> changes_;
  bool force_write_ = false;
  bool dropped_ = false;
};

class Txn {
 public:
  // Locks `accounts` and loads their counters. With `allow_new`, an account without counters
  // starts empty (AddAccount); otherwise it is NOT_FOUND.
  static Result<std::unique_ptr<Txn>> begin(Context& context,
                                            std::span<const std::uint64_t> accounts,
                                            bool allow_new = false);
  static Result<std::unique_ptr<Txn>> begin(Context& context, std::uint64_t account,
                                            bool allow_new = false) {
    return begin(context, std::span<const std::uint64_t>(&account, 1), allow_new);
  }

  AccountEdit& account(std::uint64_t account_id);  // one of those passed to begin()
  bool exists(std::uint64_t account_id) const;     // it had counters before this Txn
  rocksdb::WriteBatch& batch() { return batch_; }
  BlobDelta& blobs() { return blobs_; }
  Context& context() { return context_; }
  std::int64_t now_ms() const { return now_ms_; }

  // Writes and syncs everything; then notifies watchers. The Txn is spent afterwards.
  Status commit();

 private:
  Txn(Context& context, StripedLocks::Guard guard)
      : context_(context), guard_(std::move(guard)), now_ms_(context.now_ms()) {}

  Context& context_;
  StripedLocks::Guard guard_;
  std::int64_t now_ms_;
  rocksdb::WriteBatch batch_;
  BlobDelta blobs_;
  std::map<std::uint64_t, std::unique_ptr<AccountEdit>> accounts_;
  std::map<std::uint64_t, bool> existed_;
};

}  // namespace tessera::store
