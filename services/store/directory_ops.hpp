// The Directory service logic (proto/tessera/store/v1/directory.proto): hosted domains,
// accounts with their aliases and sender addresses, recipient resolution for smtp-in,
// authentication for every front end, quota, and the domains' DKIM keys (directory_dkim.cpp).
//
// Directory keys live in the `accounts` family, tagged by their first byte:
//   'A' account id           → AccountRecord            (keys::account_record)
//   'D' domain               → Domain
//   'L' domain \0 local      → account id (8) | kind (1: 'a' main address, 'l' alias), folded
//   'N'                      → next account id (8)
//   'K' domain \0 selector   → DkimKey, private key included (directory_dkim.cpp)
// Writes of the directory serialise on one mutex (address uniqueness spans accounts).
#pragma once

#include <cstdint>
#include <mutex>
#include <semaphore>
#include <string>

#include "auth_limiter.hpp"
#include "base/result.hpp"
#include "context.hpp"
#include "crypto/password.hpp"
#include "send_limiter.hpp"
#include "tessera/store/v1/directory.pb.h"
#include "tessera/storedb/v1/records.pb.h"

namespace tessera::store {

// API-01: at most 50 extra sender addresses per account.
inline constexpr int kMaxSenderAddresses = 50;
// RL-03: the largest per-account sending limits, the tops of the relay's limits.messages_per_hour
// and limits.max_recipients ranges (directory.proto, Account).
inline constexpr std::uint32_t kMostMessagesPerHour = 1000000;
inline constexpr std::uint32_t kMostRecipients = 100000;

class DirectoryOps {
 public:
  DirectoryOps(Context& context, crypto::Params params = {}, AuthLimits limits = {});

  Result<v1::Domain> add_domain(const v1::AddDomainRequest& request);
  Result<v1::ListDomainsReply> list_domains();
  Result<v1::Domain> get_domain(const v1::GetDomainRequest& request);
  Result<v1::Domain> set_domain_signature(const v1::SetDomainSignatureRequest& request);
  Result<v1::RemoveDomainReply> remove_domain(const v1::RemoveDomainRequest& request);

  Result<v1::Account> add_account(const v1::AddAccountRequest& request);
  Result<v1::Account> get_account(const v1::GetAccountRequest& request);
  Result<v1::ListAccountsReply> list_accounts(const v1::ListAccountsRequest& request);
  Result<v1::Account> update_account(const v1::UpdateAccountRequest& request);
  Result<v1::SetPasswordReply> set_password(const v1::SetPasswordRequest& request);
  Result<v1::RemoveAccountReply> remove_account(const v1::RemoveAccountRequest& request);

  Result<v1::AliasReply> add_alias(const v1::AliasRequest& request);
  Result<v1::AliasReply> remove_alias(const v1::AliasRequest& request);
  Result<v1::SenderAddressReply> add_sender(const v1::SenderAddressRequest& request);
  Result<v1::SenderAddressReply> remove_sender(const v1::SenderAddressRequest& request);

  Result<v1::ResolveRecipientReply> resolve(const v1::ResolveRecipientRequest& request);
  Result<v1::AuthenticateReply> authenticate(const v1::AuthenticateRequest& request);
  Result<v1::Quota> quota(const v1::GetQuotaRequest& request);
  Result<v1::ChargeSubmissionReply> charge_submission(const v1::ChargeSubmissionRequest& request);

  Result<v1::DkimKey> generate_dkim_key(const v1::GenerateDkimKeyRequest& request);
  Result<v1::ListDkimKeysReply> list_dkim_keys(const v1::ListDkimKeysRequest& request);

 private:
  struct AddressEntry {
    std::uint64_t account_id = 0;
    bool alias = false;
  };
  Result<std::optional<AddressEntry>> lookup(const std::string& folded_domain,
                                             const std::string& folded_local);
  Result<storedb::v1::AccountRecord> load(std::uint64_t account_id);
  Status save(const storedb::v1::AccountRecord& record);
  Result<bool> hosted(const std::string& domain);
  Status adjust_domain_count(rocksdb::WriteBatch& batch, const std::string& domain, int delta);
  bool verify(std::string_view password, std::string_view hash);
  // Deletes every DKIM key of `domain` in `batch` (RemoveDomain). Caller holds write_mutex_.
  Status drop_dkim_keys(rocksdb::WriteBatch& batch, const std::string& domain);

  Context& context_;
  crypto::Params params_;
  AuthLimiter limiter_;
  SendLimiter send_limiter_;
  std::mutex write_mutex_;
  std::string dummy_hash_;  // verified for unknown logins, so timing does not tell them apart
  std::counting_semaphore<1024> hashing_;
};

}  // namespace tessera::store
