#include "mailboxes.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>

#include "base/utf8.hpp"
#include "errors.hpp"
#include "keys.hpp"
#include "message_data.hpp"

namespace tessera::store {
namespace {

struct Special {
  v1::MailboxRole role;
  const char* name;
};
// ST-02: created with every account, never renamed, moved or deleted.
constexpr std::array<Special, 6> kSpecial = {{{v1::MAILBOX_ROLE_INBOX, "INBOX"},
                                              {v1::MAILBOX_ROLE_SENT, "Sent"},
                                              {v1::MAILBOX_ROLE_DRAFTS, "Drafts"},
                                              {v1::MAILBOX_ROLE_TRASH, "Trash"},
                                              {v1::MAILBOX_ROLE_JUNK, "Spam?"},
                                              {v1::MAILBOX_ROLE_TEMPLATES, "Templates"}}};

constexpr std::size_t kMaxNameBytes = 255;

Status check_name(std::string_view name) {
  if (name.empty()) return invalid_argument("a mailbox name cannot be empty");
  if (name.size() > kMaxNameBytes) return invalid_argument("a mailbox name is at most 255 bytes");
  if (name.find('/') != std::string_view::npos)
    return invalid_argument("a mailbox name cannot contain the hierarchy delimiter \"/\"");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return invalid_argument("a mailbox name cannot contain controls");
  }
  if (!valid_utf8(name)) return invalid_argument("a mailbox name must be UTF-8");
  return {};
}

bool equal_ascii_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Siblings may not share a name; at top level "INBOX" is reserved in any case (RFC 9051 §5.1).
Status check_unique(const std::vector<const storedb::v1::MailboxRecord*>& all,
                    std::uint64_t parent_id, std::string_view name, std::uint64_t self) {
  if (parent_id == 0 && equal_ascii_case(name, "INBOX"))
    return already_exists("INBOX exists already");
  for (const auto* record : all) {
    const auto& m = record->mailbox();
    if (m.mailbox_id() != self && m.parent_id() == parent_id && m.name() == name)
      return already_exists("a mailbox named \"" + std::string(name) + "\" exists there");
  }
  return {};
}

// D-05: no subfolders under Sent and "Spam?".
Status check_parent(AccountEdit& account, std::uint64_t parent_id) {
  if (parent_id == 0) return {};
  auto parent = account.mailbox(parent_id);
  if (!parent) return parent.error();
  const auto role = (*parent)->mailbox().role();
  if (role == v1::MAILBOX_ROLE_SENT || role == v1::MAILBOX_ROLE_JUNK)
    return failed_precondition("folders cannot be created under \"" + (*parent)->mailbox().name() +
                               "\"");
  return {};
}

std::uint32_t next_uid_validity(storedb::v1::AccountState& state, std::int64_t now_ms) {
  // Time-based like most servers, and strictly increasing within the account, so a deleted and
  // re-created name never gets a UIDVALIDITY a client has cached (RFC 9051 §2.3.1.1).
  const auto seconds = static_cast<std::uint32_t>(now_ms / 1000);
  const auto value = std::max(state.last_uid_validity() + 1, seconds);
  state.set_last_uid_validity(value);
  return value;
}

bool forget_lost_subscription(storedb::v1::AccountState& state, const std::string& path) {
  auto* lost = state.mutable_lost_subscriptions();
  auto it = std::find(lost->begin(), lost->end(), path);
  if (it == lost->end()) return false;
  lost->erase(it);
  return true;
}

storedb::v1::MailboxRecord& new_mailbox(AccountEdit& account, std::uint64_t parent_id,
                                        std::string_view name, v1::MailboxRole role,
                                        bool subscribed, std::int64_t now_ms) {
  auto& state = account.state();
  const auto id = std::max<std::uint64_t>(state.next_mailbox_id(), 1);
  state.set_next_mailbox_id(id + 1);
  auto& record = account.add_mailbox(id);
  auto* mailbox = record.mutable_mailbox();
  mailbox->set_mailbox_id(id);
  mailbox->set_parent_id(parent_id);
  mailbox->set_name(std::string(name));
  mailbox->set_role(role);
  mailbox->set_subscribed(subscribed);
  mailbox->set_uid_validity(next_uid_validity(state, now_ms));
  auto* status = record.mutable_status();
  status->set_mailbox_id(id);
  status->set_uid_validity(mailbox->uid_validity());
  status->set_uid_next(1);
  account.record_mailbox(v1::CHANGE_KIND_MAILBOX_CREATED, *mailbox);
  return record;
}

// Parents before children, siblings by name; paths joined with "/".
std::vector<v1::Mailbox> ordered_tree(const std::vector<const storedb::v1::MailboxRecord*>& all) {
  std::map<std::uint64_t, std::vector<const storedb::v1::MailboxRecord*>> children;
  for (const auto* record : all)
    children[record->mailbox().parent_id()].push_back(record);
  for (auto& [parent, list] : children) {
    std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
      // The special folders first, in their fixed order, then user folders by name.
      const auto ra = a->mailbox().role() == 0 ? 100 : a->mailbox().role();
      const auto rb = b->mailbox().role() == 0 ? 100 : b->mailbox().role();
      if (ra != rb) return ra < rb;
      return a->mailbox().name() < b->mailbox().name();
    });
  }
  std::vector<v1::Mailbox> out;
  std::function<void(std::uint64_t, const std::string&, int)> walk =
      [&](std::uint64_t parent, const std::string& prefix, int depth) {
        auto found = children.find(parent);
        if (found == children.end() || depth > 64) return;
        for (const auto* record : found->second) {
          v1::Mailbox mailbox = record->mailbox();
          mailbox.set_path(prefix.empty() ? mailbox.name() : prefix + "/" + mailbox.name());
          mailbox.set_has_children(children.contains(mailbox.mailbox_id()));
          const auto path = mailbox.path();
          const auto id = mailbox.mailbox_id();
          out.push_back(std::move(mailbox));
          walk(id, path, depth + 1);
        }
      };
  walk(0, "", 0);
  return out;
}

// The full "/"-joined name of a mailbox named `name` under `parent_id`.
std::string path_of(const std::vector<const storedb::v1::MailboxRecord*>& all,
                    std::uint64_t parent_id, const std::string& name) {
  std::string path = name;
  for (int depth = 0; parent_id != 0 && depth < 64; ++depth) {
    auto found = std::find_if(all.begin(), all.end(), [&](const auto* record) {
      return record->mailbox().mailbox_id() == parent_id;
    });
    if (found == all.end()) break;
    path = (*found)->mailbox().name() + "/" + path;
    parent_id = (*found)->mailbox().parent_id();
  }
  return path;
}

// The ids of `root` and everything under it.
std::vector<std::uint64_t> subtree(const std::vector<const storedb::v1::MailboxRecord*>& all,
                                   std::uint64_t root) {
  std::vector<std::uint64_t> out{root};
  for (std::size_t i = 0; i < out.size() && i < 100000; ++i) {
    for (const auto* record : all) {
      if (record->mailbox().parent_id() == out[i]) out.push_back(record->mailbox().mailbox_id());
    }
  }
  return out;
}

}  // namespace

Status create_special_folders(AccountEdit& account) {
  const auto now = system_now_ms();
  for (const auto& special : kSpecial) {
    auto& record = new_mailbox(account, 0, special.name, special.role, true, now);
    (*account.state().mutable_special())[static_cast<std::int32_t>(special.role)] =
        record.mailbox().mailbox_id();
  }
  account.force_write();
  return {};
}

Status drop_account_data(Txn& txn, std::uint64_t account_id) {
  auto& db = txn.context().db;
  // Release the blob references of every message of the account.
  std::vector<std::string> blobs;
  auto scanned = db.scan(Family::index, keys::account_prefix(account_id),
                         [&](std::string_view, std::string_view value) {
                           storedb::v1::IndexRecord record;
                           if (record.ParseFromArray(value.data(), static_cast<int>(value.size())))
                             blobs.push_back(record.blob_id());
                           return true;
                         });
  if (!scanned) return scanned.error();
  for (const auto& id : blobs)
    txn.blobs().add(id, -1);
  const auto begin = keys::account_prefix(account_id);
  const auto end = keys::prefix_end(begin);
  for (auto family : {Family::mailboxes, Family::index, Family::changes, Family::threads})
    txn.batch().DeleteRange(db.family(family), begin, end);
  txn.account(account_id).mark_dropped();
  return {};
}

Result<std::optional<storedb::v1::AccountState>> read_account_state(const Db& db,
                                                                    std::uint64_t account_id) {
  auto stored = db.get(Family::mailboxes, keys::account_state(account_id));
  if (!stored) return stored.error();
  if (!*stored) return std::optional<storedb::v1::AccountState>();
  storedb::v1::AccountState state;
  if (!state.ParseFromString(**stored)) return corrupt("account counters unreadable");
  return std::optional<storedb::v1::AccountState>(std::move(state));
}

Result<std::vector<storedb::v1::MailboxRecord>> read_mailboxes(const Db& db,
                                                               std::uint64_t account_id) {
  std::vector<storedb::v1::MailboxRecord> out;
  bool bad = false;
  auto scanned = db.scan(
      Family::mailboxes, keys::account_prefix(account_id),
      [&](std::string_view key, std::string_view value) {
        if (keys::get_u64(key, 8).value_or(0) == 0) return true;  // counters
        if (!out.emplace_back().ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = true;
          return false;
        }
        return true;
      });
  if (!scanned) return scanned.error();
  if (bad) return corrupt("mailbox record unreadable");
  return out;
}

Result<std::optional<storedb::v1::AccountRecord>> read_account_record(const Db& db,
                                                                      std::uint64_t account_id) {
  auto stored = db.get(Family::accounts, keys::account_record(account_id));
  if (!stored) return stored.error();
  if (!*stored) return std::optional<storedb::v1::AccountRecord>();
  storedb::v1::AccountRecord record;
  if (!record.ParseFromString(**stored)) return corrupt("account record unreadable");
  return std::optional<storedb::v1::AccountRecord>(std::move(record));
}

// A read: no Txn, so listing never waits behind the account's synced writes.
Result<v1::ListMailboxesReply> MailboxOps::list(const v1::ListMailboxesRequest& request) {
  auto state = read_account_state(context_.db, request.account_id());
  if (!state) return state.error();
  if (!*state) return not_found("no such account " + std::to_string(request.account_id()));
  auto records = read_mailboxes(context_.db, request.account_id());
  if (!records) return records.error();
  std::vector<const storedb::v1::MailboxRecord*> all;
  std::map<std::uint64_t, const storedb::v1::MailboxRecord*> by_id;
  for (const auto& record : *records) {
    all.push_back(&record);
    by_id[record.mailbox().mailbox_id()] = &record;
  }
  v1::ListMailboxesReply reply;
  reply.set_delimiter("/");
  reply.set_highest_modseq((*state)->highest_modseq());
  *reply.mutable_lost_subscriptions() = (*state)->lost_subscriptions();
  for (auto& mailbox : ordered_tree(all)) {
    if (request.subscribed_only() && !mailbox.subscribed()) continue;
    if (request.include_status())
      *mailbox.mutable_status() = by_id.at(mailbox.mailbox_id())->status();
    *reply.add_mailboxes() = std::move(mailbox);
  }
  return reply;
}

Result<v1::MailboxStatus> MailboxOps::status(const v1::GetMailboxStatusRequest& request) {
  auto state = read_account_state(context_.db, request.account_id());
  if (!state) return state.error();
  if (!*state) return not_found("no such account " + std::to_string(request.account_id()));
  std::uint64_t id = 0;
  if (request.mailbox().target_case() == v1::MailboxRef::kMailboxId) {
    id = request.mailbox().mailbox_id();
  } else {
    auto found = (*state)->special().find(static_cast<std::int32_t>(request.mailbox().role()));
    if (found == (*state)->special().end())
      return invalid_argument("mailbox must be given by id or by a special role");
    id = found->second;
  }
  auto stored = context_.db.get(Family::mailboxes, keys::mailbox(request.account_id(), id));
  if (!stored) return stored.error();
  if (!*stored || id == 0) return not_found("no such mailbox " + std::to_string(id));
  storedb::v1::MailboxRecord record;
  if (!record.ParseFromString(**stored)) return corrupt("mailbox record unreadable");
  return record.status();
}

Result<v1::Mailbox> MailboxOps::create(const v1::CreateMailboxRequest& request) {
  if (auto ok = check_name(request.name()); !ok) return ok.error();
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  if (auto ok = check_parent(account, request.parent_id()); !ok) return ok.error();
  auto all = account.all_mailboxes();
  if (!all) return all.error();
  if (auto ok = check_unique(*all, request.parent_id(), request.name(), 0); !ok) return ok.error();
  const auto path = path_of(*all, request.parent_id(), request.name());
  const bool resubscribed = forget_lost_subscription(account.state(), path);
  auto& record =
      new_mailbox(account, request.parent_id(), request.name(), v1::MAILBOX_ROLE_UNSPECIFIED,
                  request.subscribe() || resubscribed, (*txn)->now_ms());
  v1::Mailbox created = record.mailbox();
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  created.set_path(path);
  return created;
}

Result<v1::Mailbox> MailboxOps::rename(const v1::RenameMailboxRequest& request) {
  if (!request.new_name().empty()) {
    if (auto ok = check_name(request.new_name()); !ok) return ok.error();
  }
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  auto current = account.mailbox(request.mailbox_id());
  if (!current) return current.error();
  if ((*current)->mailbox().role() != v1::MAILBOX_ROLE_UNSPECIFIED)
    return failed_precondition("special folders cannot be renamed or moved");
  const auto parent_id =
      request.has_new_parent_id() ? request.new_parent_id() : (*current)->mailbox().parent_id();
  const std::string name =
      request.new_name().empty() ? (*current)->mailbox().name() : request.new_name();
  if (auto ok = check_parent(account, parent_id); !ok) return ok.error();
  auto all = account.all_mailboxes();
  if (!all) return all.error();
  const auto moved = subtree(*all, request.mailbox_id());
  if (std::find(moved.begin(), moved.end(), parent_id) != moved.end())
    return invalid_argument("a folder cannot be moved into itself");
  if (auto ok = check_unique(*all, parent_id, name, request.mailbox_id()); !ok) return ok.error();
  auto edited = account.edit_mailbox(request.mailbox_id());
  if (!edited) return edited.error();
  auto* mailbox = (*edited)->mutable_mailbox();
  mailbox->set_name(name);
  mailbox->set_parent_id(parent_id);
  account.record_mailbox(v1::CHANGE_KIND_MAILBOX_RENAMED, *mailbox);
  v1::Mailbox renamed = *mailbox;
  renamed.set_path(path_of(*all, parent_id, name));
  renamed.set_has_children(moved.size() > 1);
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return renamed;
}

Result<v1::DeleteMailboxReply> MailboxOps::remove(const v1::DeleteMailboxRequest& request) {
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  auto current = account.mailbox(request.mailbox_id());
  if (!current) return current.error();
  if ((*current)->mailbox().role() != v1::MAILBOX_ROLE_UNSPECIFIED)
    return failed_precondition("special folders cannot be deleted");
  auto all = account.all_mailboxes();
  if (!all) return all.error();
  const auto doomed = subtree(*all, request.mailbox_id());
  if (doomed.size() > 1 && !request.recursive())
    return failed_precondition("the folder has subfolders; delete them first");
  // Children first, so a reader of the change log never sees an orphan.
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
    auto record = account.mailbox(*it);
    if (!record) return record.error();
    v1::Mailbox gone = (*record)->mailbox();
    if (gone.subscribed()) {
      const auto path = path_of(*all, gone.parent_id(), gone.name());
      forget_lost_subscription(account.state(), path);
      account.state().add_lost_subscriptions(path);
    }
    if (auto ok = discard_messages(**txn, account, *it); !ok) return ok.error();
    account.remove_mailbox(*it);
    account.record_mailbox(v1::CHANGE_KIND_MAILBOX_DELETED, gone);
  }
  v1::DeleteMailboxReply reply;
  reply.set_modseq(account.modseq());
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return reply;
}

Result<v1::SetSubscribedReply> MailboxOps::subscribe(const v1::SetSubscribedRequest& request) {
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  if (request.mailbox_id() == 0 && !request.subscribed()) {
    if (!forget_lost_subscription(account.state(), request.path()))
      return not_found("no subscription to " + request.path());
    account.force_write();
    if (auto committed = (*txn)->commit(); !committed) return committed.error();
    return v1::SetSubscribedReply();
  }
  auto record = account.edit_mailbox(request.mailbox_id());
  if (!record) return record.error();
  if ((*record)->mailbox().subscribed() == request.subscribed()) return v1::SetSubscribedReply();
  (*record)->mutable_mailbox()->set_subscribed(request.subscribed());
  account.force_write();  // not a change of mail state: no modseq
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return v1::SetSubscribedReply();
}

Result<v1::ClaimRecentReply> MailboxOps::claim_recent(const v1::ClaimRecentRequest& request) {
  v1::ClaimRecentReply reply;
  if (request.peek()) {
    v1::GetMailboxStatusRequest ask;
    ask.set_account_id(request.account_id());
    ask.mutable_mailbox()->set_mailbox_id(request.mailbox_id());
    auto current = status(ask);
    if (!current) return current.error();
    reply.set_first_recent_uid(std::max<std::uint32_t>(current->recent_uid(), 1));
    return reply;
  }
  auto txn = Txn::begin(context_, request.account_id());
  if (!txn) return txn.error();
  auto& account = (*txn)->account(request.account_id());
  auto record = account.edit_mailbox(request.mailbox_id());
  if (!record) return record.error();
  auto* status = (*record)->mutable_status();
  const auto first = std::max<std::uint32_t>(status->recent_uid(), 1);
  reply.set_first_recent_uid(first);
  if (request.up_to_uid() < first) return reply;  // nothing new to claim
  status->set_recent_uid(request.up_to_uid() + 1);
  account.force_write();  // not a change of mail state: no modseq
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return reply;
}

}  // namespace tessera::store
