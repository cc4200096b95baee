#include "message_data.hpp"

#include <algorithm>
#include <cctype>

#include "errors.hpp"
#include "keys.hpp"
#include "mailboxes.hpp"

namespace tessera::store {
namespace {

std::string fold(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 9051 §9: flag-keyword = atom; atom-specials exclude "(" ")" "{" SP CTL list-wildcards
// quoted-specials resp-specials.
bool is_atom(std::string_view keyword) {
  if (keyword.empty() || keyword.size() > 255) return false;
  for (unsigned char c : keyword) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("(){%*\"\\]").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  return true;
}

std::uint32_t flag_bits(const v1::Flags& flags) {
  std::uint32_t bits = 0;
  for (auto flag : flags.system())
    if (flag > 0 && flag < 32) bits |= 1U << flag;
  return bits;
}

void set_bits(v1::Flags& flags, std::uint32_t bits) {
  flags.clear_system();
  for (int flag = 1; flag <= v1::SystemFlag_MAX; ++flag)
    if (bits & (1U << flag)) flags.add_system(static_cast<v1::SystemFlag>(flag));
}

void adjust(std::uint32_t& counter, bool before, bool after) {
  if (before && !after && counter > 0) --counter;
  if (!before && after) ++counter;
}

void count(v1::MailboxStatus& status, const v1::MessageRecord& record, int sign) {
  const bool unseen = !has_flag(record.flags(), v1::SYSTEM_FLAG_SEEN);
  const bool deleted = has_flag(record.flags(), v1::SYSTEM_FLAG_DELETED);
  if (sign > 0) {
    status.set_messages(status.messages() + 1);
    status.set_unseen(status.unseen() + (unseen ? 1 : 0));
    status.set_deleted(status.deleted() + (deleted ? 1 : 0));
    status.set_size_bytes(status.size_bytes() + record.size());
  } else {
    status.set_messages(status.messages() - std::min<std::uint32_t>(status.messages(), 1));
    if (unseen && status.unseen() > 0) status.set_unseen(status.unseen() - 1);
    if (deleted && status.deleted() > 0) status.set_deleted(status.deleted() - 1);
    status.set_size_bytes(status.size_bytes() - std::min(status.size_bytes(), record.size()));
  }
}

}  // namespace

bool has_flag(const v1::Flags& flags, v1::SystemFlag flag) {
  return std::find(flags.system().begin(), flags.system().end(), flag) != flags.system().end();
}

Result<v1::Flags> normalize_flags(const v1::Flags& flags) {
  v1::Flags out;
  set_bits(out, flag_bits(flags));
  std::vector<std::string> seen;
  for (const auto& keyword : flags.keywords()) {
    if (!is_atom(keyword)) return invalid_argument("bad keyword \"" + keyword + "\"");
    auto folded = fold(keyword);
    if (std::find(seen.begin(), seen.end(), folded) != seen.end()) continue;
    seen.push_back(std::move(folded));
    out.add_keywords(keyword);
  }
  return out;
}

v1::Flags apply_flags(const v1::Flags& current, v1::StoreOperation operation,
                      const v1::Flags& operand) {
  if (operation == v1::STORE_OPERATION_REPLACE) return operand;
  v1::Flags out;
  auto bits = flag_bits(current);
  if (operation == v1::STORE_OPERATION_ADD) bits |= flag_bits(operand);
  if (operation == v1::STORE_OPERATION_REMOVE) bits &= ~flag_bits(operand);
  set_bits(out, bits);
  std::vector<std::string> operand_folded;
  for (const auto& k : operand.keywords())
    operand_folded.push_back(fold(k));
  auto in_operand = [&](const std::string& k) {
    return std::find(operand_folded.begin(), operand_folded.end(), fold(k)) != operand_folded.end();
  };
  for (const auto& k : current.keywords()) {
    if (operation == v1::STORE_OPERATION_REMOVE && in_operand(k)) continue;
    out.add_keywords(k);
  }
  if (operation == v1::STORE_OPERATION_ADD) {
    std::vector<std::string> have;
    for (const auto& k : current.keywords())
      have.push_back(fold(k));
    for (const auto& k : operand.keywords()) {
      if (std::find(have.begin(), have.end(), fold(k)) != have.end()) continue;
      have.push_back(fold(k));
      out.add_keywords(k);
    }
  }
  return out;
}

bool same_flags(const v1::Flags& a, const v1::Flags& b) {
  if (flag_bits(a) != flag_bits(b) || a.keywords_size() != b.keywords_size()) return false;
  std::vector<std::string> fa;
  std::vector<std::string> fb;
  for (const auto& k : a.keywords())
    fa.push_back(fold(k));
  for (const auto& k : b.keywords())
    fb.push_back(fold(k));
  std::sort(fa.begin(), fa.end());
  std::sort(fb.begin(), fb.end());
  return fa == fb;
}

std::vector<v1::UidRange> normalize(const v1::UidSet& set) {
  std::vector<v1::UidRange> ranges;
  for (const auto& r : set.ranges()) {
    v1::UidRange range;
    range.set_first(std::max<std::uint32_t>(1, std::min(r.first(), r.last())));
    range.set_last(std::max(r.first(), r.last()));
    ranges.push_back(range);
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const auto& a, const auto& b) { return a.first() < b.first(); });
  std::vector<v1::UidRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && (out.back().last() == 0xFFFFFFFFU || r.first() <= out.back().last() + 1)) {
      out.back().set_last(std::max(out.back().last(), r.last()));
      continue;
    }
    out.push_back(r);
  }
  return out;
}

void add_to_set(v1::UidSet& set, std::uint32_t uid) {
  auto* ranges = set.mutable_ranges();
  if (!ranges->empty()) {
    auto& last = (*ranges)[ranges->size() - 1];
    if (uid >= last.first() && uid <= last.last()) return;
    if (last.last() != 0xFFFFFFFFU && uid == last.last() + 1) {
      last.set_last(uid);
      return;
    }
  }
  auto* range = set.add_ranges();
  range->set_first(uid);
  range->set_last(uid);
}

Status for_each_message(const Db& db, std::uint64_t account, std::uint64_t mailbox,
                        const v1::UidSet* set, const RecordVisitor& visit) {
  const auto prefix = keys::mailbox_prefix(account, mailbox);
  std::vector<v1::UidRange> ranges;
  if (set) {
    ranges = normalize(*set);
  } else {
    v1::UidRange all;
    all.set_first(1);
    all.set_last(0xFFFFFFFFU);
    ranges.push_back(all);
  }
  bool bad = false;
  bool stopped = false;
  for (const auto& range : ranges) {
    if (stopped) break;
    auto scanned = db.scan(
        Family::index, prefix,
        [&](std::string_view key, std::string_view value) {
          const auto uid = keys::get_u32(key, 16);
          if (!uid || *uid > range.last()) return false;
          storedb::v1::IndexRecord record;
          if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            bad = true;
            return false;
          }
          if (!visit(*uid, record)) {
            stopped = true;
            return false;
          }
          return true;
        },
        keys::message(account, mailbox, range.first()));
    if (!scanned) return scanned.error();
    if (bad) return corrupt("message record unreadable");
  }
  return {};
}

Result<storedb::v1::IndexRecord> find_message(const Db& db, std::uint64_t account,
                                              std::uint64_t mailbox, std::uint32_t uid) {
  // One key: a point read, not a scan (GetBody, GetBodies, SetComment read many of these).
  auto stored = db.get(Family::index, keys::message(account, mailbox, uid));
  if (!stored) return stored.error();
  if (!*stored) return not_found("no message with UID " + std::to_string(uid));
  storedb::v1::IndexRecord record;
  if (!record.ParseFromString(**stored)) return corrupt("message record unreadable");
  return record;
}

Result<std::uint64_t> quota_limit(const Db& db, std::uint64_t account_id) {
  auto record = read_account_record(db, account_id);
  if (!record) return record.error();
  return *record ? (*record)->account().quota_bytes() : 0;
}

Status check_quota(AccountEdit& account, std::uint64_t limit, std::uint64_t extra) {
  if (limit == 0) return {};
  if (account.state().used_bytes() + extra > limit)
    return over_quota("over quota: " + std::to_string(account.state().used_bytes()) + " of " +
                      std::to_string(limit) + " bytes used, " + std::to_string(extra) +
                      " more needed");
  return {};
}

std::uint32_t put_new_message(Txn& txn, AccountEdit& account, storedb::v1::MailboxRecord& mailbox,
                              storedb::v1::IndexRecord record) {
  auto* status = mailbox.mutable_status();
  const auto uid = std::max<std::uint32_t>(status->uid_next(), 1);
  status->set_uid_next(uid + 1);
  auto* message = record.mutable_record();
  message->set_uid(uid);
  message->set_modseq(account.modseq());
  count(*status, *message, +1);
  auto& state = account.state();
  state.set_used_bytes(state.used_bytes() + message->size());
  state.set_message_count(state.message_count() + 1);
  const auto mailbox_id = mailbox.mailbox().mailbox_id();
  account.record(v1::CHANGE_KIND_MESSAGES_ADDED, mailbox_id, uid);
  txn.batch().Put(txn.context().db.family(Family::index),
                  keys::message(account.account_id(), mailbox_id, uid), record.SerializeAsString());
  return uid;
}

void update_message(Txn& txn, AccountEdit& account, storedb::v1::MailboxRecord& mailbox,
                    const storedb::v1::IndexRecord& before, storedb::v1::IndexRecord after) {
  auto* status = mailbox.mutable_status();
  auto unseen = status->unseen();
  auto deleted = status->deleted();
  adjust(unseen, !has_flag(before.record().flags(), v1::SYSTEM_FLAG_SEEN),
         !has_flag(after.record().flags(), v1::SYSTEM_FLAG_SEEN));
  adjust(deleted, has_flag(before.record().flags(), v1::SYSTEM_FLAG_DELETED),
         has_flag(after.record().flags(), v1::SYSTEM_FLAG_DELETED));
  status->set_unseen(unseen);
  status->set_deleted(deleted);
  after.mutable_record()->set_modseq(account.modseq());
  const auto mailbox_id = mailbox.mailbox().mailbox_id();
  account.record(v1::CHANGE_KIND_FLAGS_CHANGED, mailbox_id, after.record().uid());
  txn.batch().Put(txn.context().db.family(Family::index),
                  keys::message(account.account_id(), mailbox_id, after.record().uid()),
                  after.SerializeAsString());
}

void remove_message(Txn& txn, AccountEdit& account, storedb::v1::MailboxRecord& mailbox,
                    const storedb::v1::IndexRecord& record) {
  count(*mailbox.mutable_status(), record.record(), -1);
  auto& state = account.state();
  state.set_used_bytes(state.used_bytes() - std::min(state.used_bytes(), record.record().size()));
  state.set_message_count(state.message_count() -
                          std::min<std::uint64_t>(state.message_count(), 1));
  const auto mailbox_id = mailbox.mailbox().mailbox_id();
  account.record(v1::CHANGE_KIND_EXPUNGED, mailbox_id, record.record().uid());
  txn.batch().Delete(txn.context().db.family(Family::index),
                     keys::message(account.account_id(), mailbox_id, record.record().uid()));
  txn.blobs().add(record.blob_id(), -1);
}

Status discard_messages(Txn& txn, AccountEdit& account, std::uint64_t mailbox_id) {
  auto& state = account.state();
  auto walked =
      for_each_message(txn.context().db, account.account_id(), mailbox_id, nullptr,
                       [&](std::uint32_t, storedb::v1::IndexRecord& record) {
                         state.set_used_bytes(state.used_bytes() -
                                              std::min(state.used_bytes(), record.record().size()));
                         state.set_message_count(state.message_count() -
                                                 std::min<std::uint64_t>(state.message_count(), 1));
                         txn.blobs().add(record.blob_id(), -1);
                         return true;
                       });
  if (!walked) return walked.error();
  const auto prefix = keys::mailbox_prefix(account.account_id(), mailbox_id);
  txn.batch().DeleteRange(txn.context().db.family(Family::index), prefix, keys::prefix_end(prefix));
  return {};
}

}  // namespace tessera::store
