// Messages: StoreFlags (RFC 7162 §3.1.3 UNCHANGEDSINCE), Expunge (RFC 9051 §6.4.3, RFC 4315
// §2.1 UID EXPUNGE) and SetComment (ST-25).
#include "errors.hpp"
#include "message_data.hpp"
#include "messages.hpp"

namespace tessera::store {
namespace {

constexpr std::size_t kMaxCommentBytes = 4096;

v1::FlagState state_of(const storedb::v1::IndexRecord& record) {
  v1::FlagState state;
  state.set_uid(record.record().uid());
  state.set_modseq(record.record().modseq());
  *state.mutable_flags() = record.record().flags();
  return state;
}

}  // namespace

Result<v1::StoreFlagsReply> MessageOps::store_flags(const v1::StoreFlagsRequest& request) {
  if (request.operation() == v1::STORE_OPERATION_UNSPECIFIED)
    return invalid_argument("StoreFlags needs an operation");
  auto operand = normalize_flags(request.flags());
  if (!operand) return operand.error();
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  auto mailbox = account.edit_mailbox(request.mailbox_id());
  if (!mailbox) return mailbox.error();
  v1::StoreFlagsReply reply;
  std::vector<std::pair<storedb::v1::IndexRecord, storedb::v1::IndexRecord>> changes;
  auto walked = for_each_message(
      context_.db, request.account_id(), request.mailbox_id(), &request.uids(),
      [&](std::uint32_t uid, storedb::v1::IndexRecord& record) {
        // RFC 7162 §3.1.3: a message changed after UNCHANGEDSINCE is not touched and is
        // reported in MODIFIED.
        if (request.has_unchanged_since() && record.record().modseq() > request.unchanged_since()) {
          add_to_set(*reply.mutable_modified(), uid);
          return true;
        }
        auto flags = apply_flags(record.record().flags(), request.operation(), *operand);
        if (same_flags(flags, record.record().flags())) {
          *reply.add_updated() = state_of(record);
          return true;
        }
        auto after = record;
        *after.mutable_record()->mutable_flags() = std::move(flags);
        changes.emplace_back(std::move(record), std::move(after));
        return true;
      });
  if (!walked) return walked.error();
  for (auto& [before, after] : changes) {
    after.mutable_record()->set_modseq(account.modseq());
    *reply.add_updated() = state_of(after);
    update_message(**txn, account, **mailbox, before, std::move(after));
  }
  // Keep `updated` in ascending UID order whatever changed.
  std::sort(reply.mutable_updated()->begin(), reply.mutable_updated()->end(),
            [](const auto& a, const auto& b) { return a.uid() < b.uid(); });
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  reply.set_highest_modseq((*mailbox)->status().highest_modseq());
  return reply;
}

Result<v1::ExpungeReply> MessageOps::expunge(const v1::ExpungeRequest& request) {
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  auto mailbox = account.edit_mailbox(request.mailbox_id());
  if (!mailbox) return mailbox.error();
  std::vector<storedb::v1::IndexRecord> doomed;
  auto walked = for_each_message(context_.db, request.account_id(), request.mailbox_id(),
                                 request.has_uids() ? &request.uids() : nullptr,
                                 [&](std::uint32_t, storedb::v1::IndexRecord& record) {
                                   if (has_flag(record.record().flags(), v1::SYSTEM_FLAG_DELETED))
                                     doomed.push_back(std::move(record));
                                   return true;
                                 });
  if (!walked) return walked.error();
  v1::ExpungeReply reply;
  for (const auto& record : doomed) {
    add_to_set(*reply.mutable_expunged(), record.record().uid());
    remove_message(**txn, account, **mailbox, record);
  }
  if (!doomed.empty()) reply.set_modseq(account.modseq());
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return reply;
}

Result<v1::SetCommentReply> MessageOps::set_comment(const v1::SetCommentRequest& request) {
  if (request.comment().size() > kMaxCommentBytes)
    return invalid_argument("a comment is at most 4096 bytes");
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  auto mailbox = account.edit_mailbox(request.mailbox_id());
  if (!mailbox) return mailbox.error();
  auto found = find_message(context_.db, request.account_id(), request.mailbox_id(), request.uid());
  if (!found) return found.error();
  auto after = *found;
  after.mutable_record()->set_comment(request.comment());
  update_message(**txn, account, **mailbox, *found, std::move(after));
  v1::SetCommentReply reply;
  reply.set_modseq(account.modseq());
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return reply;
}

}  // namespace tessera::store
