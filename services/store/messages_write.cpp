// Messages: Append, Deliver, Copy, Move, MoveToTrash, and Trash retention.
#include <algorithm>
#include <map>

#include "blobs.hpp"
#include "derive.hpp"
#include "errors.hpp"
#include "idempotency.hpp"
#include "keys.hpp"
#include "mailboxes.hpp"
#include "message_data.hpp"
#include "messages.hpp"
#include "threads.hpp"

namespace tessera::store {
namespace {

// A message ready to store: content id and derived data are computed before any lock is taken.
struct Content {
  std::string id;
  storedb::v1::Derived derived;
};

Content prepare(std::string_view body) {
  return Content{blob_id(body), derive(body)};
}

storedb::v1::IndexRecord new_record(const Content& content, std::uint64_t size,
                                    const v1::Flags& flags, std::int64_t internal_date,
                                    std::uint64_t thread) {
  storedb::v1::IndexRecord record;
  record.set_blob_id(content.id);
  auto* message = record.mutable_record();
  *message->mutable_flags() = flags;
  message->set_internal_date_unix_ms(internal_date);
  message->set_size(size);
  message->set_thread_id(thread);
  message->set_has_attachment(content.derived.has_attachment());
  message->set_priority(content.derived.priority());
  return record;
}

// Messages entering Trash get a trashed-at time (ST-09) however they arrive (MoveToTrash, IMAP
// MOVE or COPY, APPEND); leaving Trash clears it.
void stamp_trash(storedb::v1::IndexRecord& record, const storedb::v1::MailboxRecord& target,
                 std::uint64_t from_mailbox, std::int64_t now_ms) {
  auto* message = record.mutable_record();
  if (target.mailbox().role() == v1::MAILBOX_ROLE_TRASH) {
    if (message->trashed_at_unix_ms() == 0) {
      message->set_trashed_at_unix_ms(now_ms);
      message->set_trashed_from_mailbox_id(from_mailbox);
    }
  } else {
    message->clear_trashed_at_unix_ms();
    message->clear_trashed_from_mailbox_id();
  }
}

Status check_size(std::uint64_t size, std::uint64_t limit) {
  if (size > limit)
    return invalid_argument("message of " + std::to_string(size) + " bytes is over the " +
                            std::to_string(limit) + "-byte limit");
  return {};
}

// IN-04: incoming mail that does not fit frees the oldest Trash first. Messages enter Trash with
// ascending UIDs, so UID order is trash order.
Status reclaim_trash(Txn& txn, AccountEdit& account, std::uint64_t limit, std::uint64_t needed) {
  if (limit == 0 || account.state().used_bytes() + needed <= limit) return {};
  auto trash_id = account.resolve([] {
    v1::MailboxRef ref;
    ref.set_role(v1::MAILBOX_ROLE_TRASH);
    return ref;
  }());
  if (!trash_id) return {};
  auto trash = account.edit_mailbox(*trash_id);
  if (!trash) return trash.error();
  std::vector<storedb::v1::IndexRecord> victims;
  std::uint64_t freed = 0;
  const auto excess = account.state().used_bytes() + needed - limit;
  auto walked = for_each_message(txn.context().db, account.account_id(), *trash_id, nullptr,
                                 [&](std::uint32_t, storedb::v1::IndexRecord& r) {
                                   freed += r.record().size();
                                   victims.push_back(r);
                                   return freed < excess;
                                 });
  if (!walked) return walked.error();
  if (freed < excess) return {};  // emptying Trash would not be enough: leave it
  for (const auto& victim : victims)
    remove_message(txn, account, **trash, victim);
  return {};
}

}  // namespace

Result<v1::AppendReply> MessageOps::append(const v1::AppendHeader& header, std::string body) {
  if (auto ok = check_size(body.size(), kMaxMessageBytes); !ok) return ok.error();
  auto flags = normalize_flags(header.flags());
  if (!flags) return flags.error();
  const auto content = prepare(body);
  auto txn = Txn::begin(context_, header.account_id());
  if (!txn) return txn.error();
  // Looked up under the account lock, so a retry racing its first attempt waits for it and
  // then finds its reply instead of storing the message twice.
  std::string idempotency;
  if (!header.idempotency_key().empty()) {
    idempotency = keys::idempotency('A', header.account_id(), header.idempotency_key());
    auto earlier = recall<v1::AppendReply>(context_.db, idempotency, (*txn)->now_ms());
    if (!earlier) return earlier.error();
    if (*earlier) return std::move(**earlier);
  }
  auto& account = (*txn)->account(header.account_id());
  auto mailbox_id = account.resolve(header.mailbox());
  if (!mailbox_id) return mailbox_id.error();
  auto mailbox = account.edit_mailbox(*mailbox_id);
  if (!mailbox) return mailbox.error();
  auto limit = quota_limit(context_.db, header.account_id());
  if (!limit) return limit.error();
  if (auto ok = check_quota(account, *limit, body.size()); !ok) return ok.error();
  auto thread = assign_thread(**txn, account, content.derived);
  if (!thread) return thread.error();
  const auto date =
      header.internal_date_unix_ms() != 0 ? header.internal_date_unix_ms() : (*txn)->now_ms();
  auto record = new_record(content, body.size(), *flags, date, *thread);
  stamp_trash(record, **mailbox, 0, (*txn)->now_ms());
  v1::AppendReply reply;
  reply.set_mailbox_id(*mailbox_id);
  reply.set_uid(put_new_message(**txn, account, **mailbox, std::move(record)));
  reply.set_uid_validity((*mailbox)->mailbox().uid_validity());
  reply.set_modseq(account.modseq());
  (*txn)->blobs().provide(content.id, body, content.derived);
  (*txn)->blobs().add(content.id, 1);
  if (!idempotency.empty())
    remember(context_.db, (*txn)->batch(), idempotency, reply, (*txn)->now_ms());
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return reply;
}

Result<v1::DeliverReply> MessageOps::deliver(const v1::DeliverHeader& header, std::string body) {
  if (header.placements().empty()) return invalid_argument("a delivery needs a placement");
  if (auto ok = check_size(body.size(), kMaxMessageBytes + kDeliverHeadroom); !ok)
    return ok.error();
  std::map<std::uint64_t, std::uint64_t> bytes_per_account;
  std::vector<v1::Flags> flags;
  for (const auto& placement : header.placements()) {
    bytes_per_account[placement.account_id()] += body.size();
    auto normalized = normalize_flags(placement.flags());
    if (!normalized) return normalized.error();
    flags.push_back(std::move(*normalized));
  }
  const auto content = prepare(body);
  std::vector<std::uint64_t> accounts;
  for (const auto& [id, bytes] : bytes_per_account)
    accounts.push_back(id);
  auto txn = Txn::begin(context_, accounts);
  if (!txn) return txn.error();
  // Under the locks of every placement's account: a concurrent retry finds the first reply.
  std::string idempotency;
  if (!header.idempotency_key().empty()) {
    idempotency = keys::idempotency('D', 0, header.idempotency_key());
    auto earlier = recall<v1::DeliverReply>(context_.db, idempotency, (*txn)->now_ms());
    if (!earlier) return earlier.error();
    if (*earlier) return std::move(**earlier);
  }
  std::map<std::uint64_t, std::uint64_t> threads;
  for (const auto& [id, bytes] : bytes_per_account) {
    auto record = read_account_record(context_.db, id);
    if (!record) return record.error();
    if (*record && !(*record)->account().enabled())
      return failed_precondition("account " + (*record)->account().login() + " is disabled");
    const auto limit = *record ? (*record)->account().quota_bytes() : 0;
    auto& account = (*txn)->account(id);
    if (auto ok = reclaim_trash(**txn, account, limit, bytes); !ok) return ok.error();
    if (auto ok = check_quota(account, limit, bytes); !ok) {
      int index = 0;
      while (header.placements(index).account_id() != id)
        ++index;
      return over_quota("placement " + std::to_string(index) + ": " + ok.error().message);
    }
    auto thread = assign_thread(**txn, account, content.derived);
    if (!thread) return thread.error();
    threads[id] = *thread;
  }
  const auto date =
      header.internal_date_unix_ms() != 0 ? header.internal_date_unix_ms() : (*txn)->now_ms();
  v1::DeliverReply reply;
  for (int i = 0; i < header.placements_size(); ++i) {
    const auto& placement = header.placements(i);
    auto& account = (*txn)->account(placement.account_id());
    auto mailbox_id = account.resolve(placement.mailbox());
    if (!mailbox_id) return mailbox_id.error();
    auto mailbox = account.edit_mailbox(*mailbox_id);
    if (!mailbox) return mailbox.error();
    auto record = new_record(content, body.size(), flags[static_cast<std::size_t>(i)], date,
                             threads[placement.account_id()]);
    stamp_trash(record, **mailbox, 0, (*txn)->now_ms());
    auto* result = reply.add_results();
    result->set_account_id(placement.account_id());
    result->set_mailbox_id(*mailbox_id);
    result->set_uid(put_new_message(**txn, account, **mailbox, std::move(record)));
    result->set_uid_validity((*mailbox)->mailbox().uid_validity());
    result->set_modseq(account.modseq());
  }
  (*txn)->blobs().provide(content.id, body, content.derived);
  (*txn)->blobs().add(content.id, header.placements_size());
  if (!idempotency.empty())
    remember(context_.db, (*txn)->batch(), idempotency, reply, (*txn)->now_ms());
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return reply;
}

Result<v1::CopyReply> MessageOps::copy(const v1::CopyRequest& request, bool move) {
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  // Copy leaves the source untouched (its HIGHESTMODSEQ too); Move edits it.
  auto exists = account.mailbox(request.mailbox_id());
  if (!exists) return exists.error();
  storedb::v1::MailboxRecord* source = nullptr;
  if (move) {
    auto edited = account.edit_mailbox(request.mailbox_id());
    if (!edited) return edited.error();
    source = *edited;
  }
  auto target_id = account.resolve(request.target());
  if (!target_id) return target_id.error();
  auto target = account.edit_mailbox(*target_id);
  if (!target) return target.error();
  std::vector<storedb::v1::IndexRecord> picked;
  std::uint64_t bytes = 0;
  auto walked = for_each_message(context_.db, request.account_id(), request.mailbox_id(),
                                 &request.uids(), [&](std::uint32_t, storedb::v1::IndexRecord& r) {
                                   bytes += r.record().size();
                                   picked.push_back(r);
                                   return true;
                                 });
  if (!walked) return walked.error();
  if (!move) {
    auto limit = quota_limit(context_.db, request.account_id());
    if (!limit) return limit.error();
    if (auto ok = check_quota(account, *limit, bytes); !ok) return ok.error();
  }
  v1::CopyReply reply;
  reply.set_destination_mailbox_id(*target_id);
  reply.set_destination_uid_validity((*target)->mailbox().uid_validity());
  for (const auto& original : picked) {
    auto copy = original;
    copy.mutable_record()->clear_modseq();
    stamp_trash(copy, **target, request.mailbox_id(), (*txn)->now_ms());
    auto* mapping = reply.add_uids();
    mapping->set_source_uid(original.record().uid());
    mapping->set_destination_uid(put_new_message(**txn, account, **target, std::move(copy)));
    (*txn)->blobs().add(original.blob_id(), 1);
    if (move) remove_message(**txn, account, *source, original);
  }
  reply.set_modseq(picked.empty() ? 0 : account.modseq());
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return reply;
}

Result<v1::CopyReply> MessageOps::move_to_trash(const v1::MoveToTrashRequest& request) {
  auto state = read_account_state(context_.db, request.account_id());
  if (!state) return state.error();
  if (!*state) return not_found("no such account " + std::to_string(request.account_id()));
  auto trash = (*state)->special().find(v1::MAILBOX_ROLE_TRASH);
  if (trash == (*state)->special().end()) return not_found("the account has no Trash");
  if (trash->second == request.mailbox_id()) {
    v1::CopyReply reply;  // already in Trash: left alone (messages.proto)
    reply.set_destination_mailbox_id(trash->second);
    return reply;
  }
  v1::CopyRequest move;
  move.set_account_id(request.account_id());
  move.set_mailbox_id(request.mailbox_id());
  *move.mutable_uids() = request.uids();
  move.mutable_target()->set_role(v1::MAILBOX_ROLE_TRASH);
  return copy(move, true);
}

Result<std::size_t> MessageOps::purge_trash(std::uint64_t account_id) {
  auto txn = Txn::begin(context_, account_id);
  if (!txn) return txn.error();
  auto& account = (*txn)->account(account_id);
  v1::MailboxRef ref;
  ref.set_role(v1::MAILBOX_ROLE_TRASH);
  auto trash_id = account.resolve(ref);
  if (!trash_id) return trash_id.error();
  const auto cutoff = (*txn)->now_ms() - kTrashRetentionMs;
  std::vector<storedb::v1::IndexRecord> expired;
  auto walked = for_each_message(
      context_.db, account_id, *trash_id, nullptr, [&](std::uint32_t, storedb::v1::IndexRecord& r) {
        const auto at = r.record().trashed_at_unix_ms() != 0 ? r.record().trashed_at_unix_ms()
                                                             : r.record().internal_date_unix_ms();
        if (at < cutoff) expired.push_back(r);
        return true;
      });
  if (!walked) return walked.error();
  if (expired.empty()) return std::size_t{0};
  auto trash = account.edit_mailbox(*trash_id);
  if (!trash) return trash.error();
  for (const auto& record : expired)
    remove_message(**txn, account, **trash, record);
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return expired.size();
}

}  // namespace tessera::store
