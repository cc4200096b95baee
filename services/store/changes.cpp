#include "changes.hpp"

#include <algorithm>

#include "errors.hpp"
#include "keys.hpp"
#include "mailboxes.hpp"
#include "txn.hpp"

namespace tessera::store {
namespace {

constexpr std::uint32_t kDefaultPage = 1000;

bool concerns(const v1::Change& change, std::uint64_t mailbox_id) {
  return mailbox_id == 0 || change.mailbox_id() == mailbox_id;
}

}  // namespace

Result<v1::ListChangesReply> ChangeOps::list(const v1::ListChangesRequest& request) {
  auto state = read_account_state(context_.db, request.account_id());
  if (!state) return state.error();
  if (!*state) return not_found("no such account " + std::to_string(request.account_id()));
  v1::ListChangesReply reply;
  reply.set_oldest_modseq((*state)->oldest_modseq());
  reply.set_highest_modseq((*state)->highest_modseq());
  if (request.mailbox_id() != 0) {
    auto stored = context_.db.get(Family::mailboxes,
                                  keys::mailbox(request.account_id(), request.mailbox_id()));
    if (!stored) return stored.error();
    if (!*stored) return not_found("no such mailbox " + std::to_string(request.mailbox_id()));
    storedb::v1::MailboxRecord record;
    if (!record.ParseFromString(**stored)) return corrupt("mailbox record unreadable");
    reply.set_highest_modseq(record.status().highest_modseq());
  }
  if (request.since_modseq() < (*state)->oldest_modseq()) {
    reply.set_history_lost(true);
    return reply;
  }
  const std::uint32_t page = request.max_changes() == 0 ? kDefaultPage : request.max_changes();
  bool bad = false;
  auto scanned = context_.db.scan(
      Family::changes, keys::account_prefix(request.account_id()),
      [&](std::string_view, std::string_view value) {
        storedb::v1::ChangeSet set;
        if (!set.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = true;
          return false;
        }
        if (static_cast<std::uint32_t>(reply.changes_size()) >= page) {
          reply.set_more(true);
          return false;
        }
        for (auto& change : *set.mutable_changes()) {
          if (concerns(change, request.mailbox_id())) *reply.add_changes() = std::move(change);
        }
        return true;
      },
      keys::change(request.account_id(), request.since_modseq() + 1));
  if (!scanned) return scanned.error();
  if (bad) return corrupt("change record unreadable");
  return reply;
}

Result<std::optional<v1::WatchEvent>> ChangeOps::catch_up(const v1::WatchRequest& request) {
  auto state = read_account_state(context_.db, request.account_id());
  if (!state) return state.error();
  if (!*state) return not_found("no such account " + std::to_string(request.account_id()));
  if (request.since_modseq() == 0 || (*state)->highest_modseq() <= request.since_modseq())
    return std::optional<v1::WatchEvent>();
  v1::ListChangesRequest changes;
  changes.set_account_id(request.account_id());
  changes.set_since_modseq(request.since_modseq());
  changes.set_max_changes(10000);
  auto listed = list(changes);
  if (!listed) return listed.error();
  v1::WatchEvent event;
  event.set_highest_modseq((*state)->highest_modseq());
  std::map<std::uint64_t, v1::MailboxTouch> touches;
  for (const auto& change : listed->changes()) {
    auto& touch = touches[change.mailbox_id()];
    touch.set_mailbox_id(change.mailbox_id());
    touch.set_highest_modseq(std::max(touch.highest_modseq(), change.modseq()));
    switch (change.kind()) {
      case v1::CHANGE_KIND_MESSAGES_ADDED:
        touch.set_messages_added(true);
        break;
      case v1::CHANGE_KIND_FLAGS_CHANGED:
        touch.set_flags_changed(true);
        break;
      case v1::CHANGE_KIND_EXPUNGED:
        touch.set_expunged(true);
        break;
      default:
        event.set_tree_changed(true);
        touches.erase(change.mailbox_id());
        break;
    }
  }
  if (listed->history_lost()) event.set_tree_changed(true);
  for (auto& [id, touch] : touches)
    *event.add_mailboxes() = std::move(touch);
  return std::optional<v1::WatchEvent>(std::move(event));
}

Status ChangeOps::trim(std::uint64_t account_id) {
  auto txn = Txn::begin(context_, account_id);
  if (!txn) return txn.error();
  auto& account = (*txn)->account(account_id);
  const auto cutoff = (*txn)->now_ms() - kChangeRetentionMs;
  std::uint64_t keep_from = 0;
  bool bad = false;
  auto scanned =
      context_.db.scan(Family::changes, keys::account_prefix(account_id),
                       [&](std::string_view key, std::string_view value) {
                         storedb::v1::ChangeSet set;
                         if (!set.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                           bad = true;
                           return false;
                         }
                         if (set.changes_size() > 0 && set.changes(0).time_unix_ms() >= cutoff)
                           return false;
                         keep_from = keys::get_u64(key, 8).value_or(0);
                         return true;
                       });
  if (!scanned) return scanned.error();
  if (bad) return corrupt("change record unreadable");
  if (keep_from == 0) return {};
  // Records up to keep_from are gone: a reader must have seen at least that modseq.
  (*txn)->batch().DeleteRange(context_.db.family(Family::changes), keys::change(account_id, 0),
                              keys::change(account_id, keep_from + 1));
  account.state().set_oldest_modseq(keep_from);
  account.force_write();
  return (*txn)->commit();
}

}  // namespace tessera::store
