#include "txn.hpp"

#include <algorithm>

#include "errors.hpp"
#include "keys.hpp"
#include "mailboxes.hpp"
#include "message_data.hpp"

namespace tessera::store {
namespace {

template <typename Record>
Result<std::optional<Record>> read_record(const Db& db, Family family, const std::string& key,
                                          std::string_view what) {
  auto stored = db.get(family, key);
  if (!stored) return stored.error();
  if (!*stored) return std::optional<Record>();
  Record record;
  if (!record.ParseFromString(**stored)) return corrupt(std::string(what) + " record unreadable");
  return std::optional<Record>(std::move(record));
}

bool is_message_kind(v1::ChangeKind kind) {
  return kind == v1::CHANGE_KIND_MESSAGES_ADDED || kind == v1::CHANGE_KIND_FLAGS_CHANGED ||
         kind == v1::CHANGE_KIND_EXPUNGED;
}

}  // namespace

Result<const storedb::v1::MailboxRecord*> AccountEdit::mailbox(std::uint64_t mailbox_id) {
  if (auto found = mailboxes_.find(mailbox_id); found != mailboxes_.end()) {
    if (dirty_.contains(mailbox_id) && dirty_[mailbox_id])
      return not_found("no such mailbox " + std::to_string(mailbox_id));
    return &found->second;
  }
  if (mailbox_id == 0) return not_found("no such mailbox 0");
  auto record = read_record<storedb::v1::MailboxRecord>(
      txn_->context().db, Family::mailboxes, keys::mailbox(account_id_, mailbox_id), "mailbox");
  if (!record) return record.error();
  if (!*record) return not_found("no such mailbox " + std::to_string(mailbox_id));
  auto [it, inserted] = mailboxes_.emplace(mailbox_id, std::move(**record));
  return &it->second;
}

Result<std::uint64_t> AccountEdit::resolve(const v1::MailboxRef& ref) {
  if (ref.target_case() == v1::MailboxRef::kMailboxId) {
    auto found = mailbox(ref.mailbox_id());
    if (!found) return found.error();
    return ref.mailbox_id();
  }
  if (ref.target_case() != v1::MailboxRef::kRole || ref.role() == v1::MAILBOX_ROLE_UNSPECIFIED)
    return invalid_argument("mailbox must be given by id or by a special role");
  auto found = state_.special().find(static_cast<std::int32_t>(ref.role()));
  if (found == state_.special().end())
    return not_found("the account has no folder with role " + v1::MailboxRole_Name(ref.role()));
  return found->second;
}

Result<storedb::v1::MailboxRecord*> AccountEdit::edit_mailbox(std::uint64_t mailbox_id) {
  auto found = mailbox(mailbox_id);
  if (!found) return found.error();
  dirty_[mailbox_id] = false;
  return &mailboxes_.at(mailbox_id);
}

storedb::v1::MailboxRecord& AccountEdit::add_mailbox(std::uint64_t mailbox_id) {
  dirty_[mailbox_id] = false;
  return mailboxes_[mailbox_id];
}

void AccountEdit::remove_mailbox(std::uint64_t mailbox_id) {
  dirty_[mailbox_id] = true;
}

Result<std::vector<const storedb::v1::MailboxRecord*>> AccountEdit::all_mailboxes() {
  if (!all_loaded_) {
    auto loaded = read_mailboxes(txn_->context().db, account_id_);
    if (!loaded) return loaded.error();
    for (auto& record : *loaded)
      mailboxes_.try_emplace(record.mailbox().mailbox_id(), std::move(record));  // keep edits
    all_loaded_ = true;
  }
  std::vector<const storedb::v1::MailboxRecord*> out;
  for (const auto& [id, record] : mailboxes_) {
    if (auto d = dirty_.find(id); d != dirty_.end() && d->second) continue;
    out.push_back(&record);
  }
  return out;
}

void AccountEdit::record(v1::ChangeKind kind, std::uint64_t mailbox_id, std::uint32_t uid) {
  if (is_message_kind(kind)) {
    for (auto& change : changes_) {
      if (change.kind() == kind && change.mailbox_id() == mailbox_id) {
        add_to_set(*change.mutable_uids(), uid);
        return;
      }
    }
  }
  v1::Change change;
  change.set_kind(kind);
  change.set_mailbox_id(mailbox_id);
  if (is_message_kind(kind)) add_to_set(*change.mutable_uids(), uid);
  changes_.push_back(std::move(change));
}

void AccountEdit::record_mailbox(v1::ChangeKind kind, const v1::Mailbox& mailbox) {
  v1::Change change;
  change.set_kind(kind);
  change.set_mailbox_id(mailbox.mailbox_id());
  change.set_parent_id(mailbox.parent_id());
  change.set_name(mailbox.name());
  change.set_role(mailbox.role());
  changes_.push_back(std::move(change));
}

Result<std::unique_ptr<Txn>> Txn::begin(Context& context, std::span<const std::uint64_t> accounts,
                                        bool allow_new) {
  auto guard = context.locks.accounts.lock(accounts);
  std::unique_ptr<Txn> txn(new Txn(context, std::move(guard)));
  for (auto id : accounts) {
    if (txn->accounts_.contains(id)) continue;
    auto state = read_record<storedb::v1::AccountState>(context.db, Family::mailboxes,
                                                        keys::account_state(id), "account");
    if (!state) return state.error();
    if (!*state && !allow_new) return not_found("no such account " + std::to_string(id));
    txn->existed_[id] = state->has_value();
    txn->accounts_.emplace(id, std::unique_ptr<AccountEdit>(new AccountEdit(
                                   *txn, id, state->value_or(storedb::v1::AccountState()))));
  }
  return txn;
}

AccountEdit& Txn::account(std::uint64_t account_id) {
  return *accounts_.at(account_id);
}

bool Txn::exists(std::uint64_t account_id) const {
  auto found = existed_.find(account_id);
  return found != existed_.end() && found->second;
}

Status Txn::commit() {
  std::vector<std::pair<std::uint64_t, v1::WatchEvent>> events;
  for (auto& [id, edit] : accounts_) {
    if (edit->dropped_ || !edit->changed()) continue;
    auto& state = edit->state_;
    const bool has_changes = !edit->changes_.empty();
    const auto modseq = has_changes ? state.highest_modseq() + 1 : state.highest_modseq();
    v1::WatchEvent event;
    event.set_highest_modseq(modseq);
    std::map<std::uint64_t, v1::MailboxTouch> touches;
    for (auto& [mailbox_id, removed] : edit->dirty_) {
      const auto key = keys::mailbox(id, mailbox_id);
      if (removed) {
        batch_.Delete(context_.db.family(Family::mailboxes), key);
        continue;
      }
      auto& record = edit->mailboxes_.at(mailbox_id);
      if (has_changes) record.mutable_status()->set_highest_modseq(modseq);
      batch_.Put(context_.db.family(Family::mailboxes), key, record.SerializeAsString());
    }
    if (has_changes) {
      state.set_highest_modseq(modseq);
      storedb::v1::ChangeSet set;
      for (auto& change : edit->changes_) {
        change.set_modseq(modseq);
        change.set_time_unix_ms(now_ms_);
        switch (change.kind()) {
          case v1::CHANGE_KIND_MESSAGES_ADDED:
            touches[change.mailbox_id()].set_messages_added(true);
            break;
          case v1::CHANGE_KIND_FLAGS_CHANGED:
            touches[change.mailbox_id()].set_flags_changed(true);
            break;
          case v1::CHANGE_KIND_EXPUNGED:
            touches[change.mailbox_id()].set_expunged(true);
            break;
          default:
            event.set_tree_changed(true);
            break;
        }
        *set.add_changes() = change;
      }
      batch_.Put(context_.db.family(Family::changes), keys::change(id, modseq),
                 set.SerializeAsString());
      for (auto& [mailbox_id, touch] : touches) {
        touch.set_mailbox_id(mailbox_id);
        touch.set_highest_modseq(modseq);
        *event.add_mailboxes() = touch;
      }
      events.emplace_back(id, std::move(event));
    }
    batch_.Put(context_.db.family(Family::mailboxes), keys::account_state(id),
               state.SerializeAsString());
  }
  if (batch_.Count() == 0 && blobs_.empty()) return {};
  // Blob stripes after the account stripes (locks.hpp), held through the synced write.
  auto blob_guard = context_.locks.blobs.lock(blobs_.lock_keys());
  if (auto applied = blobs_.apply(context_.db, batch_); !applied) return applied.error();
  if (auto written = context_.db.write_synced(batch_); !written) return written.error();
  for (auto& [id, event] : events)
    context_.notifier.publish(id, event);
  return {};
}

}  // namespace tessera::store
