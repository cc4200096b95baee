#include "submission_handler.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "fixups.hpp"
#include "mime/mime.hpp"
#include "routing.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"

namespace tessera::relay {
namespace {

namespace v1 = store::v1;

awaitable<void> wait_for(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  co_await timer.async_wait(use_nothrow);
}

Identity identity_of(const v1::Account& account) {
  Identity out;
  out.account_id = account.account_id();
  out.login = account.login();
  out.addresses.push_back(fold_address(account.login()));
  for (const auto& a : account.aliases())
    out.addresses.push_back(fold_address(a));
  for (const auto& a : account.sender_addresses())
    out.addresses.push_back(fold_address(a));
  out.blocked = account.relay_blocked();
  out.messages_per_hour = account.messages_per_hour();
  out.max_recipients = account.max_recipients();
  return out;
}

// RL-03: an account's own limit wins over the relay's, higher or lower; 0 means it has none.
template <typename Limit>
Limit own_or(std::uint32_t account_value, Limit relay_value) {
  return account_value != 0 ? static_cast<Limit>(account_value) : relay_value;
}

// RL-09: the From header names the submitter too, not only the envelope.
std::optional<std::string> foreign_from(const Identity& identity,
                                        const std::vector<mime::Address>& from) {
  for (const auto& mailbox : from) {
    const auto address = mailbox.local_part + "@" + mailbox.domain;
    if (!identity.may_send_as(address)) return address;
  }
  return std::nullopt;
}

}  // namespace

// RFC 4954 §4 / RFC 8314 §3: passwords only inside TLS (the engine answers 538 before it).
std::vector<std::string> SubmissionHandler::auth_mechanisms(const smtp::SessionInfo&) {
  if (identity_) return {};
  return {"PLAIN", "LOGIN"};
}

awaitable<smtp::Reply> SubmissionHandler::authenticate(const smtp::SessionInfo& session,
                                                       const std::string& login,
                                                       const std::string& password) {
  v1::AuthenticateRequest request;
  request.set_login(login);
  request.set_password(password);
  request.set_client_ip(session.client.address().to_string());
  request.set_protocol(v1::PROTOCOL_SUBMISSION);
  const rpc::CallOptions call{.timeout = settings_.store_timeout};
  auto reply =
      co_await rpc::unary(settings_.clients->directory->async(),
                          &v1::Directory::Stub::async::Authenticate, std::move(request), call);
  if (!reply) co_return smtp::Reply{454, "4.7.0", "Temporary authentication failure"};
  co_await wait_for(std::chrono::milliseconds(reply->delay_ms()));
  switch (reply->result()) {
    case v1::AUTH_RESULT_OK:
      break;
    case v1::AUTH_RESULT_LOCKED_OUT:
      co_return smtp::Reply{454, "4.7.0", "Too many failed logins, try again later"};
    case v1::AUTH_RESULT_DISABLED:
      co_return smtp::Reply{535, "5.7.8", "Account disabled"};
    default:
      co_return smtp::Reply{535, "5.7.8", "Authentication credentials invalid"};
  }
  v1::GetAccountRequest get;
  get.set_account_id(reply->account_id());
  auto account = co_await rpc::unary(settings_.clients->directory->async(),
                                     &v1::Directory::Stub::async::GetAccount, std::move(get), call);
  if (!account) co_return smtp::Reply{454, "4.7.0", "Temporary authentication failure"};
  identity_ = identity_of(*account);
  spdlog::info("relay {}: authenticated as {}", session.session_id, identity_->login);
  co_return smtp::Reply{235, "2.7.0", "Authentication successful"};
}

// RL-09: MAIL FROM must be one of the account's identities; <> (a receipt, a bounce the user's
// client makes) is allowed.
awaitable<smtp::Reply> SubmissionHandler::mail(const smtp::SessionInfo&,
                                               const smtp::MailFrom& mail) {
  if (!identity_) co_return smtp::Reply{530, "5.7.0", "Authentication required"};
  if (identity_->blocked) {
    spdlog::warn("relay: {} tried to send while blocked", identity_->login);
    co_return smtp::Reply{550, "5.7.1",
                          "Sending from " + identity_->login + " is blocked by the administrator"};
  }
  if (mail.path.mailbox && !identity_->may_send_as(mail.path.text())) {
    co_return smtp::Reply{
        550, "5.7.1",
        "<" + mail.path.text() + ">: Sender address rejected: not owned by " + identity_->login};
  }
  // RL-03: messages per hour, counted in the store for every relay replica.
  const auto limit = own_or(identity_->messages_per_hour, settings_.messages_per_hour);
  v1::ChargeSubmissionRequest charge;
  charge.set_account_id(identity_->account_id);
  charge.set_limit_per_hour(limit);
  const rpc::CallOptions call{.timeout = settings_.store_timeout};
  auto charged =
      co_await rpc::unary(settings_.clients->directory->async(),
                          &v1::Directory::Stub::async::ChargeSubmission, std::move(charge), call);
  if (!charged) co_return smtp::replies::temporary_failure("Try again later");
  if (!charged->allowed()) {
    spdlog::info("relay: {} reached the sending limit ({} in the last hour)", identity_->login,
                 charged->sent_last_hour());
    co_return smtp::Reply{451, "4.7.1",
                          "Sending limit of " + std::to_string(limit) +
                              " messages per hour reached, try again later"};
  }
  co_return smtp::Reply{250, "2.1.0", "Ok"};
}

awaitable<smtp::Reply> SubmissionHandler::rcpt(const smtp::SessionInfo&,
                                               const smtp::Transaction& transaction,
                                               const smtp::RcptTo& rcpt) {
  // RL-03, RFC 5321 §4.5.3.1.10: the same reply the engine gives at its own limit.
  if (transaction.recipients.size() >= own_or(identity_->max_recipients, settings_.max_recipients))
    co_return smtp::Reply{452, "4.5.3", "Error: too many recipients"};
  const auto domain = ascii_upper(rcpt.path.mailbox->domain);
  if (domain == "SMS" || domain == "FAX") {
    co_return smtp::Reply{550, "5.1.2",
                          "<" + rcpt.path.text() + ">: SMS and fax sending is not available yet"};
  }
  // A named local: GCC 12 mishandles aggregates built inside co_await.
  const directory::LookupOptions options{.timeout = settings_.store_timeout, .postmaster = ""};
  auto lookup = co_await directory::look_up(*settings_.clients->directory, options, rcpt,
                                            transaction.mail.size.value_or(0));
  if (lookup.recipient) {
    local_.push_back(std::move(*lookup.recipient));
    co_return lookup.reply;
  }
  if (lookup.foreign) {
    remote_.push_back(rcpt);
    co_return smtp::Reply{250, "2.1.5", "Ok"};
  }
  co_return lookup.reply;
}

awaitable<std::vector<smtp::Reply>> SubmissionHandler::deliver(const smtp::SessionInfo& session,
                                                               smtp::Transaction& transaction) {
  std::vector<smtp::Reply> replies;
  const auto from = mime::parse(transaction.body.head()).envelope.from;
  if (auto other = foreign_from(*identity_, from)) {
    replies.push_back(
        {550, "5.7.1", "From: header address <" + *other + "> not owned by " + identity_->login});
    co_return replies;
  }
  const FixupContext fixup{.hostname = settings_.submission.hostname,
                           .id = transaction.id,
                           .unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count()};
  auto fixed = apply_fixups(transaction.body, settings_.submission.spool_directory,
                            settings_.submission.spool_memory, fixup);
  if (!fixed) {
    replies.push_back({452, "4.3.1", "Insufficient system storage"});
    co_return replies;
  }
  if (*fixed) transaction.body = std::move(**fixed);
  Submission submission{.session = &session,
                        .transaction = &transaction,
                        .identity = &*identity_,
                        .local = std::move(local_),
                        .remote = std::move(remote_),
                        .from_domain = from.empty() ? "" : ascii_lower(from.front().domain)};
  reset();
  replies.push_back(co_await route(settings_, submission));
  co_return replies;
}

}  // namespace tessera::relay
