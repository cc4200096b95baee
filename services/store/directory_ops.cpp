#include "directory_ops.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "addresses.hpp"
#include "base/utf8.hpp"
#include "crypto/random.hpp"
#include "errors.hpp"
#include "keys.hpp"
#include "mailboxes.hpp"
#include "messages.hpp"
#include "txn.hpp"

namespace tessera::store {
namespace {

constexpr std::uint32_t kDefaultPage = 100;
constexpr std::uint32_t kMaxPage = 1000;

std::string domain_key(const std::string& domain) {
  return "D" + domain;
}
std::string address_prefix(const std::string& domain) {
  return "L" + domain + std::string(1, '\0');
}
std::string address_key(const MailAddress& address) {
  return address_prefix(address.domain) + fold_local(address.local);
}
const std::string kNextAccount = "N";

std::string address_value(std::uint64_t account, bool alias) {
  std::string value;
  keys::put_u64(value, account);
  value.push_back(alias ? 'l' : 'a');
  return value;
}

// RL-03: a per-account limit past the relay's own range is a typo, not a bulk sender.
Status check_sending_limits(const v1::UpdateAccountRequest& request) {
  if (request.has_messages_per_hour() && request.messages_per_hour() > kMostMessagesPerHour)
    return invalid_argument("messages_per_hour is at most " + std::to_string(kMostMessagesPerHour));
  if (request.has_max_recipients() && request.max_recipients() > kMostRecipients)
    return invalid_argument("max_recipients is at most " + std::to_string(kMostRecipients));
  return {};
}

bool same_address(std::string_view a, std::string_view b) {
  auto pa = parse_address(a);
  auto pb = parse_address(b);
  return pa && pb && pa->folded() == pb->folded();
}

}  // namespace

DirectoryOps::DirectoryOps(Context& context, crypto::Params params, AuthLimits limits)
    : context_(context),
      params_(params),
      limiter_(limits),
      hashing_(static_cast<std::ptrdiff_t>(
          std::clamp(2U * std::max(1U, std::thread::hardware_concurrency()), 2U, 64U))) {
  auto dummy = crypto::hash_password(crypto::random_token(16), params_);
  if (dummy) dummy_hash_ = std::move(*dummy);
}

bool DirectoryOps::verify(std::string_view password, std::string_view hash) {
  // Argon2 takes params_.memory_kib per call: a bounded number run at once (login floods wait).
  hashing_.acquire();
  auto ok = crypto::verify_password(password, hash);
  hashing_.release();
  return ok && *ok;
}

Result<bool> DirectoryOps::hosted(const std::string& domain) {
  auto stored = context_.db.get(Family::accounts, domain_key(domain));
  if (!stored) return stored.error();
  return stored->has_value();
}

Result<std::optional<DirectoryOps::AddressEntry>> DirectoryOps::lookup(
    const std::string& domain, const std::string& folded_local) {
  auto stored = context_.db.get(Family::accounts, address_prefix(domain) + folded_local);
  if (!stored) return stored.error();
  if (!*stored || (*stored)->size() != 9) return std::optional<AddressEntry>();
  return std::optional<AddressEntry>(
      AddressEntry{*keys::get_u64(**stored, 0), (**stored)[8] == 'l'});
}

Result<storedb::v1::AccountRecord> DirectoryOps::load(std::uint64_t account_id) {
  auto record = read_account_record(context_.db, account_id);
  if (!record) return record.error();
  if (!*record) return not_found("no such account " + std::to_string(account_id));
  return std::move(**record);
}

Status DirectoryOps::save(const storedb::v1::AccountRecord& record) {
  rocksdb::WriteBatch batch;
  batch.Put(context_.db.family(Family::accounts),
            keys::account_record(record.account().account_id()), record.SerializeAsString());
  return context_.db.write_synced(batch);
}

Status DirectoryOps::adjust_domain_count(rocksdb::WriteBatch& batch, const std::string& domain,
                                         int delta) {
  auto stored = context_.db.get(Family::accounts, domain_key(domain));
  if (!stored) return stored.error();
  if (!*stored) return {};
  v1::Domain record;
  if (!record.ParseFromString(**stored)) return corrupt("domain record unreadable");
  const auto count = static_cast<std::int64_t>(record.account_count()) + delta;
  record.set_account_count(static_cast<std::uint32_t>(std::max<std::int64_t>(count, 0)));
  batch.Put(context_.db.family(Family::accounts), domain_key(domain), record.SerializeAsString());
  return {};
}

Result<v1::Domain> DirectoryOps::add_domain(const v1::AddDomainRequest& request) {
  auto name = normalize_domain(request.name());
  if (!name) return name.error();
  std::lock_guard lock(write_mutex_);
  auto exists = hosted(*name);
  if (!exists) return exists.error();
  if (*exists) return already_exists("domain " + *name + " is hosted already");
  v1::Domain domain;
  domain.set_name(*name);
  domain.set_created_unix_ms(context_.now_ms());
  rocksdb::WriteBatch batch;
  batch.Put(context_.db.family(Family::accounts), domain_key(*name), domain.SerializeAsString());
  if (auto written = context_.db.write_synced(batch); !written) return written.error();
  return domain;
}

Result<v1::ListDomainsReply> DirectoryOps::list_domains() {
  v1::ListDomainsReply reply;
  bool bad = false;
  auto scanned = context_.db.scan(Family::accounts, "D", [&](std::string_view, std::string_view v) {
    if (!reply.add_domains()->ParseFromArray(v.data(), static_cast<int>(v.size()))) bad = true;
    return !bad;
  });
  if (!scanned) return scanned.error();
  if (bad) return corrupt("domain record unreadable");
  return reply;
}

Result<v1::Domain> DirectoryOps::get_domain(const v1::GetDomainRequest& request) {
  auto name = normalize_domain(request.name());
  if (!name) return name.error();
  auto stored = context_.db.get(Family::accounts, domain_key(*name));
  if (!stored) return stored.error();
  if (!*stored) return not_found("domain " + *name + " is not hosted");
  v1::Domain domain;
  if (!domain.ParseFromString(**stored)) return corrupt("domain record unreadable");
  return domain;
}

Result<v1::Domain> DirectoryOps::set_domain_signature(
    const v1::SetDomainSignatureRequest& request) {
  constexpr std::size_t kMaxText = 16 << 10, kMaxHtml = 64 << 10;
  if (!valid_utf8(request.text()) || !valid_utf8(request.html()))
    return invalid_argument("the signature is not UTF-8");
  if (request.text().size() > kMaxText || request.html().size() > kMaxHtml)
    return invalid_argument("the signature is too long (16 KiB of text, 64 KiB of HTML)");
  if (request.text().empty() && !request.html().empty())
    return invalid_argument("an HTML signature needs its text version too");
  std::lock_guard lock(write_mutex_);
  v1::GetDomainRequest get;
  get.set_name(request.name());
  auto domain = get_domain(get);
  if (!domain) return domain.error();
  domain->set_signature_text(request.text());
  domain->set_signature_html(request.html());
  rocksdb::WriteBatch batch;
  batch.Put(context_.db.family(Family::accounts), domain_key(domain->name()),
            domain->SerializeAsString());
  if (auto written = context_.db.write_synced(batch); !written) return written.error();
  return domain;
}

Result<v1::RemoveDomainReply> DirectoryOps::remove_domain(const v1::RemoveDomainRequest& request) {
  auto name = normalize_domain(request.name());
  if (!name) return name.error();
  std::lock_guard lock(write_mutex_);
  auto exists = hosted(*name);
  if (!exists) return exists.error();
  if (!*exists) return not_found("domain " + *name + " is not hosted");
  bool used = false;
  auto scanned = context_.db.scan(Family::accounts, address_prefix(*name),
                                  [&](std::string_view, std::string_view) {
                                    used = true;
                                    return false;
                                  });
  if (!scanned) return scanned.error();
  if (used) return failed_precondition("domain " + *name + " still has accounts or aliases");
  rocksdb::WriteBatch batch;
  batch.Delete(context_.db.family(Family::accounts), domain_key(*name));
  if (auto dropped = drop_dkim_keys(batch, *name); !dropped) return dropped.error();
  if (auto written = context_.db.write_synced(batch); !written) return written.error();
  return v1::RemoveDomainReply();
}

Result<v1::Account> DirectoryOps::add_account(const v1::AddAccountRequest& request) {
  auto login = parse_address(request.login());
  if (!login) return login.error();
  if (request.password().empty()) return invalid_argument("a password cannot be empty");
  auto hash = crypto::hash_password(request.password(), params_);
  if (!hash) return hash.error();
  std::lock_guard lock(write_mutex_);
  auto exists = hosted(login->domain);
  if (!exists) return exists.error();
  if (!*exists) return not_found("domain " + login->domain + " is not hosted");
  auto taken = lookup(login->domain, fold_local(login->local));
  if (!taken) return taken.error();
  if (*taken) return already_exists(login->text() + " is in use already");
  auto counter = context_.db.get(Family::accounts, kNextAccount);
  if (!counter) return counter.error();
  const std::uint64_t id = *counter ? keys::get_u64(**counter, 0).value_or(0) + 1 : 1;
  storedb::v1::AccountRecord record;
  auto* account = record.mutable_account();
  account->set_account_id(id);
  account->set_login(login->text());
  account->set_display_name(request.display_name());
  account->set_quota_bytes(request.quota_bytes());
  account->set_enabled(true);
  account->set_created_unix_ms(context_.now_ms());
  record.set_password_hash(std::move(*hash));
  auto txn = Txn::begin(context_, id, true);
  if (!txn) return txn.error();
  if ((*txn)->exists(id)) return corrupt("account id " + std::to_string(id) + " is in use");
  auto& batch = (*txn)->batch();
  auto* family = context_.db.family(Family::accounts);
  batch.Put(family, keys::account_record(id), record.SerializeAsString());
  batch.Put(family, address_key(*login), address_value(id, false));
  std::string next;
  keys::put_u64(next, id);
  batch.Put(family, kNextAccount, next);
  if (auto counted = adjust_domain_count(batch, login->domain, +1); !counted)
    return counted.error();
  if (auto made = create_special_folders((*txn)->account(id)); !made) return made.error();
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return record.account();
}

Result<v1::Account> DirectoryOps::get_account(const v1::GetAccountRequest& request) {
  if (request.key_case() == v1::GetAccountRequest::kLogin) {
    auto login = parse_address(request.login());
    if (!login) return login.error();
    auto entry = lookup(login->domain, fold_local(login->local));
    if (!entry) return entry.error();
    if (!*entry || (*entry)->alias) return not_found("no account " + login->text());
    auto record = load((*entry)->account_id);
    if (!record) return record.error();
    return record->account();
  }
  auto record = load(request.account_id());
  if (!record) return record.error();
  return record->account();
}

Result<v1::ListAccountsReply> DirectoryOps::list_accounts(const v1::ListAccountsRequest& request) {
  std::string prefix = "L";
  if (!request.domain().empty()) {
    auto domain = normalize_domain(request.domain());
    if (!domain) return domain.error();
    auto exists = hosted(*domain);
    if (!exists) return exists.error();
    if (!*exists) return not_found("domain " + *domain + " is not hosted");
    prefix = address_prefix(*domain);
  }
  const auto page =
      std::min(request.page_size() == 0 ? kDefaultPage : request.page_size(), kMaxPage);
  v1::ListAccountsReply reply;
  std::vector<std::uint64_t> ids;
  std::string last;
  std::string from = request.page_token().empty() ? std::string() : request.page_token() + '\0';
  bool more = false;
  auto scanned = context_.db.scan(
      Family::accounts, prefix,
      [&](std::string_view key, std::string_view value) {
        if (value.size() != 9 || value[8] != 'a') return true;
        if (ids.size() >= page) {
          more = true;
          return false;
        }
        ids.push_back(*keys::get_u64(value, 0));
        last = std::string(key);
        return true;
      },
      from);
  if (!scanned) return scanned.error();
  for (auto id : ids) {
    auto record = load(id);
    if (!record) return record.error();
    *reply.add_accounts() = record->account();
  }
  if (more) reply.set_next_page_token(last);
  return reply;
}

Result<v1::Account> DirectoryOps::update_account(const v1::UpdateAccountRequest& request) {
  if (auto valid = check_sending_limits(request); !valid) return valid.error();
  std::lock_guard lock(write_mutex_);
  auto record = load(request.account_id());
  if (!record) return record.error();
  auto* account = record->mutable_account();
  if (request.has_display_name()) account->set_display_name(request.display_name());
  if (request.has_quota_bytes()) account->set_quota_bytes(request.quota_bytes());
  if (request.has_enabled()) account->set_enabled(request.enabled());
  if (request.has_relay_blocked()) account->set_relay_blocked(request.relay_blocked());
  if (request.has_messages_per_hour()) account->set_messages_per_hour(request.messages_per_hour());
  if (request.has_max_recipients()) account->set_max_recipients(request.max_recipients());
  if (request.has_imap_disabled()) account->set_imap_disabled(request.imap_disabled());
  if (request.has_pop3_disabled()) account->set_pop3_disabled(request.pop3_disabled());
  if (auto saved = save(*record); !saved) return saved.error();
  return record->account();
}

Result<v1::SetPasswordReply> DirectoryOps::set_password(const v1::SetPasswordRequest& request) {
  if (request.password().empty()) return invalid_argument("a password cannot be empty");
  auto hash = crypto::hash_password(request.password(), params_);
  if (!hash) return hash.error();
  std::lock_guard lock(write_mutex_);
  auto record = load(request.account_id());
  if (!record) return record.error();
  record->set_password_hash(std::move(*hash));
  if (auto saved = save(*record); !saved) return saved.error();
  limiter_.clear(record->account().login());
  return v1::SetPasswordReply();
}

Result<v1::RemoveAccountReply> DirectoryOps::remove_account(
    const v1::RemoveAccountRequest& request) {
  std::lock_guard lock(write_mutex_);
  auto record = load(request.account_id());
  if (!record) return record.error();
  auto txn = Txn::begin(context_, request.account_id(), true);
  if (!txn) return txn.error();
  if (auto dropped = drop_account_data(**txn, request.account_id()); !dropped)
    return dropped.error();
  auto& batch = (*txn)->batch();
  auto* family = context_.db.family(Family::accounts);
  batch.Delete(family, keys::account_record(request.account_id()));
  auto login = parse_address(record->account().login());
  if (login) {
    batch.Delete(family, address_key(*login));
    if (auto counted = adjust_domain_count(batch, login->domain, -1); !counted)
      return counted.error();
  }
  for (const auto& alias : record->account().aliases()) {
    if (auto parsed = parse_address(alias)) batch.Delete(family, address_key(*parsed));
  }
  if (auto committed = (*txn)->commit(); !committed) return committed.error();
  return v1::RemoveAccountReply();
}

Result<v1::AliasReply> DirectoryOps::add_alias(const v1::AliasRequest& request) {
  auto alias = parse_address(request.address());
  if (!alias) return alias.error();
  std::lock_guard lock(write_mutex_);
  auto record = load(request.account_id());
  if (!record) return record.error();
  auto login = parse_address(record->account().login());
  if (!login) return corrupt("stored login unreadable");
  if (alias->domain != login->domain)  // API-03: same domain as the main address
    return invalid_argument("an alias must be in " + login->domain + ", the main address's domain");
  auto taken = lookup(alias->domain, fold_local(alias->local));
  if (!taken) return taken.error();
  if (*taken) return already_exists(alias->text() + " is in use already");
  record->mutable_account()->add_aliases(alias->text());
  rocksdb::WriteBatch batch;
  auto* family = context_.db.family(Family::accounts);
  batch.Put(family, address_key(*alias), address_value(request.account_id(), true));
  batch.Put(family, keys::account_record(request.account_id()), record->SerializeAsString());
  if (auto written = context_.db.write_synced(batch); !written) return written.error();
  return v1::AliasReply();
}

Result<v1::AliasReply> DirectoryOps::remove_alias(const v1::AliasRequest& request) {
  auto alias = parse_address(request.address());
  if (!alias) return alias.error();
  std::lock_guard lock(write_mutex_);
  auto record = load(request.account_id());
  if (!record) return record.error();
  auto* aliases = record->mutable_account()->mutable_aliases();
  auto found = std::find_if(aliases->begin(), aliases->end(),
                            [&](const std::string& a) { return same_address(a, alias->text()); });
  if (found == aliases->end()) return not_found("the account has no alias " + alias->text());
  aliases->erase(found);
  rocksdb::WriteBatch batch;
  auto* family = context_.db.family(Family::accounts);
  batch.Delete(family, address_key(*alias));
  batch.Put(family, keys::account_record(request.account_id()), record->SerializeAsString());
  if (auto written = context_.db.write_synced(batch); !written) return written.error();
  return v1::AliasReply();
}

Result<v1::SenderAddressReply> DirectoryOps::add_sender(const v1::SenderAddressRequest& request) {
  auto address = parse_address(request.address());
  if (!address) return address.error();
  std::lock_guard lock(write_mutex_);
  auto record = load(request.account_id());
  if (!record) return record.error();
  auto* senders = record->mutable_account()->mutable_sender_addresses();
  if (std::any_of(senders->begin(), senders->end(),
                  [&](const std::string& s) { return same_address(s, address->text()); }))
    return already_exists(address->text() + " is a sender address already");
  if (senders->size() >= kMaxSenderAddresses)
    return failed_precondition("an account has at most 50 sender addresses (API-01)");
  senders->Add(address->text());
  if (auto saved = save(*record); !saved) return saved.error();
  return v1::SenderAddressReply();
}

Result<v1::SenderAddressReply> DirectoryOps::remove_sender(
    const v1::SenderAddressRequest& request) {
  std::lock_guard lock(write_mutex_);
  auto record = load(request.account_id());
  if (!record) return record.error();
  auto* senders = record->mutable_account()->mutable_sender_addresses();
  auto found = std::find_if(senders->begin(), senders->end(), [&](const std::string& s) {
    return same_address(s, request.address());
  });
  if (found == senders->end()) return not_found("no sender address " + request.address());
  senders->erase(found);
  if (auto saved = save(*record); !saved) return saved.error();
  return v1::SenderAddressReply();
}

Result<v1::ResolveRecipientReply> DirectoryOps::resolve(
    const v1::ResolveRecipientRequest& request) {
  auto address = parse_address(request.address());
  if (!address) return address.error();
  v1::ResolveRecipientReply reply;
  auto is_hosted = hosted(address->domain);
  if (!is_hosted) return is_hosted.error();
  if (!*is_hosted) {
    reply.set_match(v1::RECIPIENT_MATCH_FOREIGN_DOMAIN);
    return reply;
  }
  const auto local = fold_local(address->local);
  auto entry = lookup(address->domain, local);
  if (!entry) return entry.error();
  auto match =
      (*entry && (*entry)->alias) ? v1::RECIPIENT_MATCH_ALIAS : v1::RECIPIENT_MATCH_ACCOUNT;
  if (!*entry) {
    // Subaddressing (RFC 5233): the first '+' splits user from detail.
    const auto plus = local.find('+');
    if (plus != std::string::npos && plus > 0) {
      entry = lookup(address->domain, local.substr(0, plus));
      if (!entry) return entry.error();
      match = v1::RECIPIENT_MATCH_SUBADDRESS;
      reply.set_suffix(address->local.substr(plus + 1));
    }
  }
  if (!*entry) {
    reply.clear_suffix();
    reply.set_match(v1::RECIPIENT_MATCH_UNKNOWN_USER);
    return reply;
  }
  auto record = load((*entry)->account_id);
  if (!record) return record.error();
  if (!record->account().enabled())
    return failed_precondition("account " + record->account().login() + " is disabled");
  reply.set_account_id(record->account().account_id());
  reply.set_login(record->account().login());
  reply.set_match(match);
  return reply;
}

namespace {

// API-10: what the subscription leaves out (IM-01, P3-01).
bool protocol_disabled(const v1::Account& account, v1::Protocol protocol) {
  return (protocol == v1::PROTOCOL_IMAP && account.imap_disabled()) ||
         (protocol == v1::PROTOCOL_POP3 && account.pop3_disabled());
}

}  // namespace

Result<v1::AuthenticateReply> DirectoryOps::authenticate(const v1::AuthenticateRequest& request) {
  if (request.login().empty() || request.protocol() == v1::PROTOCOL_UNSPECIFIED)
    return invalid_argument("Authenticate needs a login and a protocol");
  v1::AuthenticateReply reply;
  auto login = parse_address(request.login());
  const std::string key = login ? login->folded() : request.login();
  const auto now = context_.now_ms();
  // A locked login is refused before the password is looked at: it learns nothing.
  if (const auto wait = limiter_.locked_for(key, request.client_ip(), now); wait > 0) {
    reply.set_result(v1::AUTH_RESULT_LOCKED_OUT);
    reply.set_retry_after_ms(static_cast<std::uint32_t>(wait));
    reply.set_delay_ms(limiter_.failed(key, request.client_ip(), now));
    return reply;
  }
  std::optional<storedb::v1::AccountRecord> record;
  if (login) {
    auto entry = lookup(login->domain, fold_local(login->local));
    if (!entry) return entry.error();
    if (*entry && !(*entry)->alias) {
      auto loaded = load((*entry)->account_id);
      if (!loaded) return loaded.error();
      record = std::move(*loaded);
    }
  }
  // Unknown logins verify against a dummy hash: same work, same time as a wrong password.
  const bool ok = verify(request.password(), record ? record->password_hash() : dummy_hash_) &&
                  record.has_value();
  if (!ok) {
    reply.set_result(v1::AUTH_RESULT_BAD_CREDENTIALS);
    reply.set_delay_ms(limiter_.failed(key, request.client_ip(), now));
    return reply;
  }
  limiter_.succeeded(key);
  if (!record->account().enabled()) {
    reply.set_result(v1::AUTH_RESULT_DISABLED);
    return reply;
  }
  if (protocol_disabled(record->account(), request.protocol())) {
    reply.set_result(v1::AUTH_RESULT_PROTOCOL_DISABLED);
    return reply;
  }
  const auto id = record->account().account_id();
  if (crypto::needs_rehash(record->password_hash(), params_)) {
    if (auto rehashed = crypto::hash_password(request.password(), params_)) {
      std::lock_guard lock(write_mutex_);
      if (auto fresh = load(id)) {
        fresh->set_password_hash(std::move(*rehashed));
        (void)save(*fresh);  // best effort: the login succeeds either way
      }
    }
  }
  // ST-09: Trash retention also runs at login, so a user never sees expired Trash.
  (void)MessageOps(context_).purge_trash(id);
  reply.set_result(v1::AUTH_RESULT_OK);
  reply.set_account_id(id);
  return reply;
}

Result<v1::Quota> DirectoryOps::quota(const v1::GetQuotaRequest& request) {
  auto record = load(request.account_id());
  if (!record) return record.error();
  auto state = read_account_state(context_.db, request.account_id());
  if (!state) return state.error();
  v1::Quota quota;
  quota.set_limit_bytes(record->account().quota_bytes());
  if (*state) {
    quota.set_used_bytes((*state)->used_bytes());
    quota.set_message_count((*state)->message_count());
    const auto trash = (*state)->special().find(static_cast<std::int32_t>(v1::MAILBOX_ROLE_TRASH));
    if (trash != (*state)->special().end()) {
      auto stored =
          context_.db.get(Family::mailboxes, keys::mailbox(request.account_id(), trash->second));
      if (!stored) return stored.error();
      storedb::v1::MailboxRecord mailbox;
      if (*stored && mailbox.ParseFromString(**stored))
        quota.set_trash_bytes(mailbox.status().size_bytes());
    }
  }
  return quota;
}

Result<v1::ChargeSubmissionReply> DirectoryOps::charge_submission(
    const v1::ChargeSubmissionRequest& request) {
  auto record = load(request.account_id());
  if (!record) return record.error();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto charge = send_limiter_.charge(request.account_id(), request.limit_per_hour(), now_ms);
  v1::ChargeSubmissionReply reply;
  reply.set_allowed(charge.allowed);
  reply.set_sent_last_hour(charge.sent_last_hour);
  reply.set_retry_after_ms(charge.retry_after_ms);
  return reply;
}

}  // namespace tessera::store
