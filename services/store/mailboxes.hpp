// The folder tree of an account (Mailboxes service logic) and the account-wide pieces other
// parts of the store need: the six special folders (ST-02) and dropping an account's data.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.hpp"
#include "context.hpp"
#include "tessera/store/v1/mailboxes.pb.h"
#include "tessera/storedb/v1/records.pb.h"
#include "txn.hpp"

namespace tessera::store {

// Creates INBOX, Sent, Drafts, Trash, "Spam?" and Templates (subscribed) for a new account, in
// `account`'s Txn (Directory.AddAccount calls this in the same Txn as the account record).
Status create_special_folders(AccountEdit& account);

// Deletes everything the account owns outside the directory (mailboxes, messages, change log,
// threads, counters) in the Txn, and releases its blob references (Directory.RemoveAccount).
Status drop_account_data(Txn& txn, std::uint64_t account_id);

// The account's counters; nullopt if the account has none (no such account).
Result<std::optional<storedb::v1::AccountState>> read_account_state(const Db& db,
                                                                    std::uint64_t account_id);
// Every mailbox record of an account, by id, read without taking the account's writer lock.
Result<std::vector<storedb::v1::MailboxRecord>> read_mailboxes(const Db& db,
                                                               std::uint64_t account_id);
// The directory record of an account; nullopt if none.
Result<std::optional<storedb::v1::AccountRecord>> read_account_record(const Db& db,
                                                                      std::uint64_t account_id);

class MailboxOps {
 public:
  explicit MailboxOps(Context& context) : context_(context) {}
  Result<v1::ListMailboxesReply> list(const v1::ListMailboxesRequest& request);
  Result<v1::MailboxStatus> status(const v1::GetMailboxStatusRequest& request);
  Result<v1::Mailbox> create(const v1::CreateMailboxRequest& request);
  Result<v1::Mailbox> rename(const v1::RenameMailboxRequest& request);
  Result<v1::DeleteMailboxReply> remove(const v1::DeleteMailboxRequest& request);
  Result<v1::SetSubscribedReply> subscribe(const v1::SetSubscribedRequest& request);
  Result<v1::ClaimRecentReply> claim_recent(const v1::ClaimRecentRequest& request);

 private:
  Context& context_;
};

}  // namespace tessera::store
