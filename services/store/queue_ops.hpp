// The Queue service logic (proto/tessera/store/v1/queue.proto): relay's durable outbound queue
// on this store shard. Entries are leased for a visibility timeout; an expired lease makes the
// entry due again without a sweeper, because the due index holds the lease expiry while leased.
//
// Keys of the `queue` family, tag first, big-endian:
//   'E' id          → QueueRecord
//   'T' due_ms id   → "" (due index: Lease scans it in time order)
//   'N'             → next entry id
//   'S'             → bytes queued (size limit)
// Bodies are blobs shared with stored messages (BodyReference) and released with the entry.
// Queue writes serialise on one mutex (the queue belongs to the shard, not to an account).
// Only Enqueue is synced to disk before it answers (relay's 250 rests on it); leases, renewals
// and attempt results are logged without a sync (Db::write_logged): they survive a store crash,
// and a machine crash can only make an entry due again — a repeated attempt, which at-least-once
// delivery allows — never lose a message. Postfix does not sync its queue updates either; one
// fsync per delivered message would cap delivery at the disk's sync rate.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "base/result.hpp"
#include "context.hpp"
#include "tessera/store/v1/queue.pb.h"
#include "tessera/storedb/v1/records.pb.h"

namespace tessera::store {

inline constexpr std::size_t kMaxQueueHistory = 20;

class QueueOps {
 public:
  QueueOps(Context& context, std::uint64_t max_bytes) : context_(context), max_bytes_(max_bytes) {}

  // `body` is empty when the header names a stored message instead.
  Result<v1::EnqueueReply> enqueue(const v1::EnqueueHeader& header, std::string body);
  Result<v1::LeaseReply> lease(const v1::LeaseRequest& request);
  Result<v1::RenewReply> renew(const v1::RenewRequest& request);
  // The whole body of a leased entry.
  Result<std::string> read_body(const v1::ReadBodyRequest& request);
  Result<v1::CompleteReply> complete(const v1::CompleteRequest& request);
  Result<v1::RetryAtReply> retry_at(const v1::RetryAtRequest& request);
  Result<v1::ListQueueReply> list(const v1::ListQueueRequest& request);
  Result<v1::QueueEntry> inspect(const v1::InspectRequest& request);

 private:
  Result<storedb::v1::QueueRecord> load(std::uint64_t id);
  // The lease `token` names must be the current, unexpired one.
  Status check_lease(const storedb::v1::QueueRecord& record, const std::string& token,
                     std::int64_t now) const;
  // The entry, if `token` is its current lease (load, then check_lease).
  Result<storedb::v1::QueueRecord> load_leased(std::uint64_t id, const std::string& token,
                                               std::int64_t now);
  Result<std::uint64_t> counter(const std::string& key);
  void put(rocksdb::WriteBatch& batch, const storedb::v1::QueueRecord& record);
  // Moves the entry's due-index key from `old_due` to `new_due`.
  void move_due(rocksdb::WriteBatch& batch, std::uint64_t id, std::int64_t old_due,
                std::int64_t new_due);

  Context& context_;
  std::uint64_t max_bytes_;
  std::mutex mutex_;
};

}  // namespace tessera::store
