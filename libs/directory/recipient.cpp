#include "directory/recipient.hpp"

#include <idn2.h>

#include "base/ascii.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"

namespace tessera::directory {
namespace {

namespace v1 = store::v1;

smtp::Reply unknown_user(const std::string& address) {
  return {550, "5.1.1", "<" + address + ">: Recipient address rejected: User unknown"};
}

// Not hosted here: smtp-in refuses it, the relay sends it out.
Lookup relay_denied(const smtp::Mailbox& mailbox) {
  return Lookup{
      {554, "5.7.1", "<" + mailbox.text() + ">: Relay access denied"}, std::nullopt, true};
}

smtp::Reply store_trouble() {
  return smtp::replies::temporary_failure("Temporary lookup failure, try again later");
}

awaitable<Result<v1::ResolveRecipientReply>> resolve(v1::Directory::Stub& directory,
                                                     const LookupOptions& options,
                                                     const std::string& address) {
  v1::ResolveRecipientRequest request;
  request.set_address(address);
  co_return co_await rpc::unary(directory.async(), &v1::Directory::Stub::async::ResolveRecipient,
                                std::move(request),
                                {.timeout = options.timeout, .wait_for_ready = true});
}

// IN-04: refuse at RCPT what cannot fit even after Trash is emptied (the store empties it when
// a delivery needs the room, ST-10).
awaitable<std::optional<smtp::Reply>> check_quota(v1::Directory::Stub& directory,
                                                  const LookupOptions& options,
                                                  std::uint64_t account_id,
                                                  std::uint64_t size_hint) {
  v1::GetQuotaRequest request;
  request.set_account_id(account_id);
  auto quota =
      co_await rpc::unary(directory.async(), &v1::Directory::Stub::async::GetQuota,
                          std::move(request), {.timeout = options.timeout, .wait_for_ready = true});
  if (!quota) co_return store_trouble();
  const auto limit = quota->limit_bytes();
  if (limit == 0) co_return std::nullopt;
  const auto keeps = quota->used_bytes() - std::min(quota->used_bytes(), quota->trash_bytes());
  if (keeps + std::max<std::uint64_t>(size_hint, 1) > limit)
    co_return smtp::Reply{552, "5.2.2", "Mailbox full"};
  co_return std::nullopt;
}

}  // namespace

std::optional<std::string> to_a_label(const std::string& domain) {
  char* out = nullptr;
  if (idn2_to_ascii_8z(domain.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
    return std::nullopt;
  std::string ascii(out);
  idn2_free(out);
  return ascii;
}

awaitable<Lookup> look_up(v1::Directory::Stub& directory, const LookupOptions& options,
                          const smtp::RcptTo& rcpt, std::uint64_t size_hint) {
  const auto& mailbox = *rcpt.path.mailbox;
  std::string address;
  if (rcpt.postmaster) {
    if (options.postmaster.empty()) co_return Lookup{unknown_user("postmaster"), std::nullopt};
    address = options.postmaster;
  } else {
    // An address literal names a host, not a hosted domain: we are no relay for it.
    auto domain = mailbox.domain.starts_with('[') ? std::nullopt : to_a_label(mailbox.domain);
    if (!domain) co_return relay_denied(mailbox);
    address = mailbox.local + "@" + *domain;
  }
  auto resolved = co_await resolve(directory, options, address);
  if (resolved && resolved->match() == v1::RECIPIENT_MATCH_UNKNOWN_USER &&
      ascii_iequals(mailbox.local, "postmaster") && !options.postmaster.empty()) {
    resolved = co_await resolve(directory, options, options.postmaster);  // RFC 5321 §4.5.1
  }
  if (!resolved) {
    const auto code = rpc::status_code(resolved.error());
    if (code == grpc::StatusCode::INVALID_ARGUMENT)  // e.g. a quoted local part: nobody here
      co_return Lookup{unknown_user(mailbox.text()), std::nullopt};
    if (code == grpc::StatusCode::FAILED_PRECONDITION)  // the account is disabled
      co_return Lookup{{550, "5.2.1", "<" + mailbox.text() + ">: Mailbox disabled"}, std::nullopt};
    co_return Lookup{store_trouble(), std::nullopt};
  }
  switch (resolved->match()) {
    case v1::RECIPIENT_MATCH_ACCOUNT:
    case v1::RECIPIENT_MATCH_ALIAS:
    case v1::RECIPIENT_MATCH_SUBADDRESS:
      break;
    case v1::RECIPIENT_MATCH_FOREIGN_DOMAIN:
      co_return relay_denied(mailbox);
    default:
      co_return Lookup{unknown_user(mailbox.text()), std::nullopt};
  }
  if (auto full = co_await check_quota(directory, options, resolved->account_id(), size_hint))
    co_return Lookup{*full, std::nullopt};
  Recipient recipient;
  recipient.rcpt = rcpt;
  recipient.address = std::move(address);
  recipient.account_id = resolved->account_id();
  recipient.login = resolved->login();
  co_return Lookup{{250, "2.1.5", "Ok"}, std::move(recipient)};
}

}  // namespace tessera::directory
