#include "queue_ops.hpp"

#include <algorithm>

#include "blobs.hpp"
#include "crypto/random.hpp"
#include "errors.hpp"
#include "idempotency.hpp"
#include "keys.hpp"
#include "message_data.hpp"

namespace tessera::store {
namespace {

constexpr std::int64_t kDefaultVisibilityMs = 10 * 60 * 1000;
constexpr std::int64_t kMinBackoffMs = 5 * 60 * 1000;  // like Postfix's minimal_backoff_time
constexpr std::int64_t kMaxBackoffMs = 4 * 3600 * 1000;
constexpr std::uint32_t kDefaultPage = 100;
constexpr std::uint32_t kMaxPage = 1000;
const std::string kNextId = "N";
const std::string kBytes = "S";

std::string entry_key(std::uint64_t id) {
  std::string key(1, 'E');
  keys::put_u64(key, id);
  return key;
}

std::string due_key(std::int64_t due, std::uint64_t id) {
  std::string key(1, 'T');
  keys::put_u64(key, static_cast<std::uint64_t>(std::max<std::int64_t>(due, 0)));
  keys::put_u64(key, id);
  return key;
}

// While leased an entry is due when the lease expires; otherwise at its next attempt.
std::int64_t due_of(const v1::QueueEntry& entry) {
  return entry.lease_expires_unix_ms() != 0 ? entry.lease_expires_unix_ms()
                                            : entry.next_attempt_unix_ms();
}

bool pending(const v1::QueueEntry& entry) {
  return std::any_of(entry.header().recipients().begin(), entry.header().recipients().end(),
                     [](const auto& r) { return r.state() == v1::RECIPIENT_STATE_PENDING; });
}

void add_history(v1::QueueEntry& entry, v1::Attempt attempt) {
  auto* history = entry.mutable_history();
  *history->Add() = std::move(attempt);
  if (history->size() > static_cast<int>(kMaxQueueHistory))
    history->DeleteSubrange(0, history->size() - static_cast<int>(kMaxQueueHistory));
}

std::string encode(std::uint64_t value) {
  std::string out;
  keys::put_u64(out, value);
  return out;
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  std::string domain = at == std::string::npos ? "" : address.substr(at + 1);
  for (auto& c : domain)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return domain;
}

}  // namespace

Result<std::uint64_t> QueueOps::counter(const std::string& key) {
  auto stored = context_.db.get(Family::queue, key);
  if (!stored) return stored.error();
  return *stored ? keys::get_u64(**stored, 0).value_or(0) : 0;
}

Result<storedb::v1::QueueRecord> QueueOps::load(std::uint64_t id) {
  auto stored = context_.db.get(Family::queue, entry_key(id));
  if (!stored) return stored.error();
  if (!*stored) return not_found("no queue entry " + std::to_string(id));
  storedb::v1::QueueRecord record;
  if (!record.ParseFromString(**stored)) return corrupt("queue entry unreadable");
  return record;
}

void QueueOps::put(rocksdb::WriteBatch& batch, const storedb::v1::QueueRecord& record) {
  batch.Put(context_.db.family(Family::queue), entry_key(record.entry().entry_id()),
            record.SerializeAsString());
}

void QueueOps::move_due(rocksdb::WriteBatch& batch, std::uint64_t id, std::int64_t old_due,
                        std::int64_t new_due) {
  batch.Delete(context_.db.family(Family::queue), due_key(old_due, id));
  batch.Put(context_.db.family(Family::queue), due_key(new_due, id), "");
}

Status QueueOps::check_lease(const storedb::v1::QueueRecord& record, const std::string& token,
                             std::int64_t now) const {
  if (record.lease_token().empty() || token != record.lease_token() ||
      record.entry().lease_expires_unix_ms() <= now)
    return failed_precondition("the lease on entry " + std::to_string(record.entry().entry_id()) +
                               " is not current (it expired or another worker holds it)");
  return {};
}

Result<storedb::v1::QueueRecord> QueueOps::load_leased(std::uint64_t id, const std::string& token,
                                                       std::int64_t now) {
  auto record = load(id);
  if (!record) return record.error();
  if (auto ok = check_lease(*record, token, now); !ok) return ok.error();
  return record;
}

Result<v1::EnqueueReply> QueueOps::enqueue(const v1::EnqueueHeader& header, std::string body) {
  if (header.recipients().empty()) return invalid_argument("an entry needs a recipient");
  const bool by_ref = header.has_body_ref();
  if (by_ref && (!body.empty() || header.declared_size() != 0))
    return invalid_argument("give either body chunks or a body reference, not both");
  std::string id_of_blob;
  std::uint64_t size = body.size();
  if (by_ref) {
    const auto& ref = header.body_ref();
    auto found = find_message(context_.db, ref.account_id(), ref.mailbox_id(), ref.uid());
    if (!found) return found.error();
    id_of_blob = found->blob_id();
    size = found->record().size();
  } else {
    id_of_blob = blob_id(body);
  }
  std::lock_guard lock(mutex_);
  // Under the queue lock, so a retry racing its first attempt finds the first entry.
  std::string idempotency;
  const auto now = context_.now_ms();
  if (!header.idempotency_key().empty()) {
    idempotency = keys::idempotency('Q', 0, header.idempotency_key());
    auto earlier = recall<v1::EnqueueReply>(context_.db, idempotency, now);
    if (!earlier) return earlier.error();
    if (*earlier) {
      (*earlier)->set_duplicate(true);
      return std::move(**earlier);
    }
  }
  auto queued = counter(kBytes);
  if (!queued) return queued.error();
  if (max_bytes_ != 0 && *queued + size > max_bytes_)
    return over_quota("the queue is full (" + std::to_string(*queued) + " bytes queued)");
  auto last = counter(kNextId);
  if (!last) return last.error();
  const auto id = *last + 1;
  storedb::v1::QueueRecord record;
  auto* entry = record.mutable_entry();
  entry->set_entry_id(id);
  *entry->mutable_header() = header;
  entry->mutable_header()->set_declared_size(size);
  for (auto& recipient : *entry->mutable_header()->mutable_recipients()) {
    recipient.set_state(v1::RECIPIENT_STATE_PENDING);
    recipient.set_attempts(0);
    recipient.clear_last_reply();
  }
  entry->set_size(size);
  entry->set_created_unix_ms(now);
  entry->set_next_attempt_unix_ms(now);
  record.set_blob_id(id_of_blob);
  rocksdb::WriteBatch batch;
  put(batch, record);
  auto* family = context_.db.family(Family::queue);
  batch.Put(family, due_key(now, id), "");
  batch.Put(family, kNextId, encode(id));
  batch.Put(family, kBytes, encode(*queued + size));
  v1::EnqueueReply reply;
  reply.set_entry_id(id);
  if (!idempotency.empty()) remember(context_.db, batch, idempotency, reply, now);
  BlobDelta delta;
  if (!by_ref) delta.provide(id_of_blob, body, {});
  delta.add(id_of_blob, 1);
  auto blob_guard = context_.locks.blobs.lock(delta.lock_keys());
  if (auto applied = delta.apply(context_.db, batch); !applied) return applied.error();
  if (auto written = context_.db.write_synced(batch); !written) return written.error();
  return reply;
}

Result<v1::LeaseReply> QueueOps::lease(const v1::LeaseRequest& request) {
  const auto max = std::clamp<std::uint32_t>(request.max_entries(), 1, 100);
  const std::int64_t visibility =
      request.visibility_timeout_ms() == 0 ? kDefaultVisibilityMs : request.visibility_timeout_ms();
  std::lock_guard lock(mutex_);
  const auto now = context_.now_ms();
  std::vector<std::uint64_t> due;
  v1::LeaseReply reply;
  auto scanned = context_.db.scan(Family::queue, "T", [&](std::string_view key, std::string_view) {
    const auto at = static_cast<std::int64_t>(keys::get_u64(key, 1).value_or(0));
    if (at > now || due.size() >= max) {
      reply.set_next_due_unix_ms(at);
      return false;
    }
    due.push_back(keys::get_u64(key, 9).value_or(0));
    return true;
  });
  if (!scanned) return scanned.error();
  if (due.empty()) return reply;
  rocksdb::WriteBatch batch;
  for (auto id : due) {
    auto record = load(id);
    if (!record) return record.error();
    auto* entry = record->mutable_entry();
    const auto old_due = due_of(*entry);
    if (entry->lease_expires_unix_ms() != 0) {
      v1::Attempt expired;
      expired.set_time_unix_ms(now);
      expired.set_worker_id(entry->leased_by());
      expired.set_note("lease expired");
      add_history(*entry, std::move(expired));
    }
    entry->set_lease_expires_unix_ms(now + visibility);
    entry->set_leased_by(request.worker_id());
    record->set_lease_token(crypto::random_token(16));
    move_due(batch, id, old_due, due_of(*entry));
    put(batch, *record);
    auto* leased = reply.add_entries();
    *leased->mutable_entry() = *entry;
    leased->mutable_entry()->clear_history();
    leased->set_lease_token(record->lease_token());
  }
  if (auto written = context_.db.write_logged(batch); !written) return written.error();
  return reply;
}

Result<v1::RenewReply> QueueOps::renew(const v1::RenewRequest& request) {
  const std::int64_t visibility =
      request.visibility_timeout_ms() == 0 ? kDefaultVisibilityMs : request.visibility_timeout_ms();
  std::lock_guard lock(mutex_);
  const auto now = context_.now_ms();
  auto record = load_leased(request.entry_id(), request.lease_token(), now);
  if (!record) return record.error();
  auto* entry = record->mutable_entry();
  const auto old_due = due_of(*entry);
  entry->set_lease_expires_unix_ms(now + visibility);
  rocksdb::WriteBatch batch;
  move_due(batch, entry->entry_id(), old_due, due_of(*entry));
  put(batch, *record);
  if (auto written = context_.db.write_logged(batch); !written) return written.error();
  v1::RenewReply reply;
  reply.set_lease_expires_unix_ms(entry->lease_expires_unix_ms());
  return reply;
}

Result<std::string> QueueOps::read_body(const v1::ReadBodyRequest& request) {
  auto record = load_leased(request.entry_id(), request.lease_token(), context_.now_ms());
  if (!record) return record.error();
  return read_blob(context_.db, record->blob_id());
}

Result<v1::CompleteReply> QueueOps::complete(const v1::CompleteRequest& request) {
  std::lock_guard lock(mutex_);
  const auto now = context_.now_ms();
  auto record = load_leased(request.entry_id(), request.lease_token(), now);
  if (!record) return record.error();
  auto* entry = record->mutable_entry();
  v1::Attempt attempt;
  attempt.set_time_unix_ms(now);
  attempt.set_worker_id(entry->leased_by());
  for (const auto& result : request.results()) {
    *attempt.add_results() = result;
    for (auto& recipient : *entry->mutable_header()->mutable_recipients()) {
      if (recipient.address() != result.address() ||
          recipient.state() != v1::RECIPIENT_STATE_PENDING)
        continue;
      recipient.set_attempts(recipient.attempts() + 1);
      recipient.set_last_reply(result.reply());
      if (result.delay_warned()) recipient.set_delay_warned(true);
      if (result.outcome() == v1::DELIVERY_OUTCOME_DELIVERED)
        recipient.set_state(v1::RECIPIENT_STATE_DELIVERED);
      else if (result.outcome() == v1::DELIVERY_OUTCOME_FAILED)
        recipient.set_state(v1::RECIPIENT_STATE_FAILED);
    }
  }
  add_history(*entry, std::move(attempt));
  entry->set_attempts(entry->attempts() + 1);
  const auto old_due = due_of(*entry);
  entry->clear_lease_expires_unix_ms();
  entry->clear_leased_by();
  record->clear_lease_token();
  rocksdb::WriteBatch batch;
  auto* family = context_.db.family(Family::queue);
  v1::CompleteReply reply;
  BlobDelta delta;
  if (!pending(*entry)) {
    reply.set_finished(true);
    batch.Delete(family, entry_key(entry->entry_id()));
    batch.Delete(family, due_key(old_due, entry->entry_id()));
    auto queued = counter(kBytes);
    if (!queued) return queued.error();
    batch.Put(family, kBytes, encode(*queued - std::min(*queued, entry->size())));
    delta.add(record->blob_id(), -1);
  } else {
    // Exponential back-off from 5 minutes to 4 hours unless relay names the time.
    const auto shift = std::min<std::uint32_t>(entry->attempts() - 1, 10);
    const auto backoff = std::min(kMinBackoffMs << shift, kMaxBackoffMs);
    entry->set_next_attempt_unix_ms(
        request.next_attempt_unix_ms() != 0 ? request.next_attempt_unix_ms() : now + backoff);
    move_due(batch, entry->entry_id(), old_due, due_of(*entry));
    put(batch, *record);
  }
  auto blob_guard = context_.locks.blobs.lock(delta.lock_keys());
  if (auto applied = delta.apply(context_.db, batch); !applied) return applied.error();
  if (auto written = context_.db.write_logged(batch); !written) return written.error();
  return reply;
}

Result<v1::RetryAtReply> QueueOps::retry_at(const v1::RetryAtRequest& request) {
  std::lock_guard lock(mutex_);
  const auto now = context_.now_ms();
  auto record = load(request.entry_id());
  if (!record) return record.error();
  auto* entry = record->mutable_entry();
  const bool leased = entry->lease_expires_unix_ms() > now;
  if (!request.lease_token().empty() || leased) {
    if (auto ok = check_lease(*record, request.lease_token(), now); !ok) return ok.error();
  }
  v1::Attempt attempt;
  attempt.set_time_unix_ms(now);
  attempt.set_worker_id(entry->leased_by());
  attempt.set_note(request.reason());
  add_history(*entry, std::move(attempt));
  if (leased) entry->set_attempts(entry->attempts() + 1);
  const auto old_due = due_of(*entry);
  entry->clear_lease_expires_unix_ms();
  entry->clear_leased_by();
  record->clear_lease_token();
  entry->set_next_attempt_unix_ms(
      request.next_attempt_unix_ms() == 0 ? now : request.next_attempt_unix_ms());
  rocksdb::WriteBatch batch;
  move_due(batch, entry->entry_id(), old_due, due_of(*entry));
  put(batch, *record);
  if (auto written = context_.db.write_logged(batch); !written) return written.error();
  return v1::RetryAtReply();
}

Result<v1::ListQueueReply> QueueOps::list(const v1::ListQueueRequest& request) {
  const auto page =
      std::min(request.page_size() == 0 ? kDefaultPage : request.page_size(), kMaxPage);
  const auto domain = domain_of("@" + request.recipient_domain());
  v1::ListQueueReply reply;
  std::vector<std::uint64_t> ids;
  std::string last;
  bool more = false;
  const std::string from = request.page_token().empty() ? "" : request.page_token() + '\0';
  auto scanned = context_.db.scan(
      Family::queue, "T",
      [&](std::string_view key, std::string_view) {
        if (ids.size() >= page) {
          more = true;
          return false;
        }
        ids.push_back(keys::get_u64(key, 9).value_or(0));
        last = std::string(key);
        return true;
      },
      from);
  if (!scanned) return scanned.error();
  for (auto id : ids) {
    auto record = load(id);
    if (!record) continue;  // completed between the scan and the read
    const auto& entry = record->entry();
    if (!request.envelope_sender().empty() &&
        entry.header().envelope_sender() != request.envelope_sender())
      continue;
    if (!request.recipient_domain().empty() &&
        std::none_of(entry.header().recipients().begin(), entry.header().recipients().end(),
                     [&](const auto& r) {
                       return r.state() == v1::RECIPIENT_STATE_PENDING &&
                              domain_of(r.address()) == domain;
                     }))
      continue;
    auto* out = reply.add_entries();
    *out = entry;
    out->clear_history();
  }
  if (more) reply.set_next_page_token(last);
  return reply;
}

Result<v1::QueueEntry> QueueOps::inspect(const v1::InspectRequest& request) {
  auto record = load(request.entry_id());
  if (!record) return record.error();
  return record->entry();
}

}  // namespace tessera::store
