// A store on a temporary RocksDB directory for unit tests: a movable clock, accounts created
// the way Directory.AddAccount does (record + special folders in one Txn), and short helpers.
#pragma once

#include <filesystem>
#include <random>
#include <string>

#include "context.hpp"
#include "db.hpp"
#include "keys.hpp"
#include "mailboxes.hpp"
#include "messages.hpp"
#include "txn.hpp"

namespace tessera::store::testing {

inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tessera-" + name + "-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir);
  return dir;
}

struct Fixture {
  std::filesystem::path dir = temp_dir("store-test");
  std::unique_ptr<Db> db = Db::open(dir).value();
  Locks locks;
  Notifier notifier;
  std::int64_t now = 1'700'000'000'000;  // 2023-11-14
  Context context{*db, locks, notifier, [this] { return now; }};
  MessageOps messages{context};
  MailboxOps mailboxes{context};

  ~Fixture() {
    db.reset();
    std::filesystem::remove_all(dir);
  }

  // An account as Directory.AddAccount makes it.
  void add_account(std::uint64_t id, std::uint64_t quota = 0, bool enabled = true) {
    auto txn = Txn::begin(context, id, true);
    storedb::v1::AccountRecord record;
    record.mutable_account()->set_account_id(id);
    record.mutable_account()->set_login("user" + std::to_string(id) + "@example.org");
    record.mutable_account()->set_quota_bytes(quota);
    record.mutable_account()->set_enabled(enabled);
    (*txn)->batch().Put(db->family(Family::accounts), keys::account_record(id),
                        record.SerializeAsString());
    if (!create_special_folders((*txn)->account(id))) throw std::runtime_error("folders");
    if (!(*txn)->commit()) throw std::runtime_error("commit");
  }

  std::uint64_t role(std::uint64_t account, v1::MailboxRole r) {
    auto state = read_account_state(*db, account);
    return (*state)->special().at(r);
  }

  Result<v1::AppendReply> append(std::uint64_t account, std::uint64_t mailbox,
                                 const std::string& body, std::vector<v1::SystemFlag> flags = {}) {
    v1::AppendHeader header;
    header.set_account_id(account);
    header.mutable_mailbox()->set_mailbox_id(mailbox);
    header.set_declared_size(body.size());
    for (auto f : flags)
      header.mutable_flags()->add_system(f);
    return messages.append(header, body);
  }

  std::vector<v1::MessageRecord> list(std::uint64_t account, std::uint64_t mailbox,
                                      std::vector<v1::MessageField> fields = {}) {
    v1::ListMessagesRequest request;
    request.set_account_id(account);
    request.set_mailbox_id(mailbox);
    for (auto f : fields)
      request.add_fields(f);
    std::vector<v1::MessageRecord> out;
    auto listed = messages.list(request, [&](v1::ListMessagesReply& batch) {
      for (auto& m : batch.messages())
        out.push_back(m);
      return true;
    });
    if (!listed) throw std::runtime_error(listed.error().message);
    return out;
  }

  v1::MailboxStatus status(std::uint64_t account, std::uint64_t mailbox) {
    v1::GetMailboxStatusRequest request;
    request.set_account_id(account);
    request.mutable_mailbox()->set_mailbox_id(mailbox);
    return *mailboxes.status(request);
  }

  Result<std::string> body(std::uint64_t account, std::uint64_t mailbox, std::uint32_t uid,
                           std::string part = "", v1::Section section = v1::SECTION_UNSPECIFIED) {
    v1::GetBodyRequest request;
    request.set_account_id(account);
    request.set_mailbox_id(mailbox);
    request.set_uid(uid);
    request.set_part(part);
    request.set_section(section);
    std::string out;
    auto got = messages.get_body(request, [&](v1::GetBodyReply& chunk) {
      out += chunk.data();
      return true;
    });
    if (!got) return got.error();
    return out;
  }
};

inline v1::UidSet uids(std::uint32_t first, std::uint32_t last) {
  v1::UidSet set;
  auto* range = set.add_ranges();
  range->set_first(first);
  range->set_last(last);
  return set;
}

inline std::string message(const std::string& subject, const std::string& extra_headers = "",
                           const std::string& text = "Hello.\r\n") {
  return "From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: " + subject +
         "\r\nDate: Mon, 13 Nov 2023 10:00:00 +0000\r\n" + extra_headers + "\r\n" + text;
}

}  // namespace tessera::store::testing
