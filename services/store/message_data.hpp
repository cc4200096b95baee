// Pieces every message operation shares: limits, flag arithmetic, UID-set walks, and adding or
// removing one message record with every counter that depends on it (mailbox messages, unseen,
// deleted, size; account usage; change log; blob references), so no operation can forget one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "context.hpp"
#include "tessera/store/v1/common.pb.h"
#include "tessera/storedb/v1/records.pb.h"
#include "txn.hpp"

namespace tessera::store {

// The message size limit (RFC 1870 SIZE as the product states it: 50 MB), and the room smtp-in
// may add on top with its Return-Path and Received header fields.
inline constexpr std::uint64_t kMaxMessageBytes = 50ULL * 1024 * 1024;
inline constexpr std::uint64_t kDeliverHeadroom = 1024 * 1024;
inline constexpr std::size_t kMaxChunkBytes = 1024 * 1024;
// ST-09: Trash keeps messages for 7 days.
inline constexpr std::int64_t kTrashRetentionMs = 7LL * 24 * 3600 * 1000;

// ---- flags ----
bool has_flag(const v1::Flags& flags, v1::SystemFlag flag);
// Flags with system flags deduplicated and ordered, keywords deduplicated case-insensitively
// (the first spelling kept, RFC 9051 §2.3.2). INVALID_ARGUMENT for a keyword that is not an atom.
Result<v1::Flags> normalize_flags(const v1::Flags& flags);
// The result of applying `operation` with `operand` to `current`.
v1::Flags apply_flags(const v1::Flags& current, v1::StoreOperation operation,
                      const v1::Flags& operand);
bool same_flags(const v1::Flags& a, const v1::Flags& b);

// ---- UID sets ----
// Ascending, non-overlapping ranges.
std::vector<v1::UidRange> normalize(const v1::UidSet& set);
// Calls `visit(uid, record)` for the existing messages of the mailbox whose UID is in `set`
// (every message when `set` is null), ascending. `visit` returns false to stop.
using RecordVisitor = std::function<bool(std::uint32_t uid, storedb::v1::IndexRecord& record)>;
Status for_each_message(const Db& db, std::uint64_t account, std::uint64_t mailbox,
                        const v1::UidSet* set, const RecordVisitor& visit);
void add_to_set(v1::UidSet& set, std::uint32_t uid);
// The record of one UID; NOT_FOUND when it does not exist (expunged or never assigned).
Result<storedb::v1::IndexRecord> find_message(
    const Db& db, std::uint64_t account, std::uint64_t mailbox,
    std::uint32_t uid);  // ascending appends merge into runs

// ---- adding and removing ----
// The account's storage limit in bytes (0 = unlimited), from its directory record.
Result<std::uint64_t> quota_limit(const Db& db, std::uint64_t account_id);
// Quota (RFC 9208 STORAGE): RESOURCE_EXHAUSTED when `extra` bytes would pass `limit`.
Status check_quota(AccountEdit& account, std::uint64_t limit, std::uint64_t extra);
// Gives `record` the mailbox's next UID and this Txn's modseq, stores it, and updates counters
// and the change log. The blob reference is the caller's (BlobDelta). Returns the UID.
std::uint32_t put_new_message(Txn& txn, AccountEdit& account, storedb::v1::MailboxRecord& mailbox,
                              storedb::v1::IndexRecord record);
// Rewrites an existing record whose flags or fields changed, keeping counters exact.
void update_message(Txn& txn, AccountEdit& account, storedb::v1::MailboxRecord& mailbox,
                    const storedb::v1::IndexRecord& before, storedb::v1::IndexRecord after);
// Removes a record (expunge): counters, change log (VANISHED), blob reference.
void remove_message(Txn& txn, AccountEdit& account, storedb::v1::MailboxRecord& mailbox,
                    const storedb::v1::IndexRecord& record);
// Removes every message of a mailbox (mailbox deletion).
Status discard_messages(Txn& txn, AccountEdit& account, std::uint64_t mailbox_id);

}  // namespace tessera::store
