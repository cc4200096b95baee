#include "pipeline.hpp"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"
#include "smtp/trace.hpp"

namespace tessera::smtpin {
namespace {

namespace v1 = store::v1;

constexpr std::size_t kChunk = 1 << 20;  // the store's largest chunk
constexpr int kStoreAttempts = 3;

bool open(const directory::Recipient& r) {
  return r.outcome.code == 0;
}

void close_all(Delivery& d, const smtp::Reply& reply) {
  for (auto& r : d.recipients)
    if (open(r)) r.outcome = reply;
}

// RFC 5321 §6.3: too many Received fields is a loop somewhere; a Delivered-To naming the
// recipient means this copy has been delivered to it before (a forwarding loop, SEC-10).
awaitable<void> check_loops(const Settings& settings, Delivery& d) {
  const auto seen = smtp::scan_trace(d.body->head());
  if (seen.received > settings.max_hops) {
    close_all(d, {554, "5.4.6", "Too many hops (" + std::to_string(seen.received) + ")"});
    co_return;
  }
  for (auto& r : d.recipients) {
    const auto login = ascii_lower(r.login);
    if (open(r) && std::find(seen.delivered_to.begin(), seen.delivered_to.end(), login) !=
                       seen.delivered_to.end()) {
      r.outcome = {554, "5.4.6", "Mail forwarding loop for <" + r.login + ">"};
    }
  }
  co_return;
}

// The trace fields in front of the message (§4.4): Return-Path, Delivered-To when one account
// receives it (naming one recipient in a copy others also get would tell them of a Bcc), and
// our Received, with "for" only for a single recipient for the same reason.
std::string trace_prefix(const Settings& settings, const Delivery& d,
                         const std::vector<const directory::Recipient*>& open_recipients,
                         bool one_account) {
  std::string prefix = smtp::return_path_field(d.mail->path);
  if (one_account) prefix += smtp::delivered_to_field(open_recipients.front()->login);
  const auto& engine = d.session->dialect == smtp::Dialect::lmtp ? settings.lmtp : settings.mx;
  prefix += smtp::received_field(
      *d.session, *d.mail,
      {.hostname = engine.hostname,
       .id = d.id,
       .for_address = open_recipients.size() == 1 ? open_recipients.front()->address : "",
       .unix_ms = d.arrival_unix_ms,
       .authenticated = false,
       .protocol = d.protocol});
  return prefix;
}

// One Deliver stream: the header, then prefix + body in chunks of at most 1 MiB.
awaitable<Result<v1::DeliverReply>> send_to_store(const Settings& settings, const Delivery& d,
                                                  const v1::DeliverHeader& header,
                                                  const std::string& prefix) {
  auto writer =
      rpc::client_stream(settings.store->messages->async(), &v1::Messages::Stub::async::Deliver,
                         {.timeout = settings.store_timeout, .wait_for_ready = true});
  v1::DeliverRequest first;
  *first.mutable_header() = header;
  if (auto ok = co_await writer->write(std::move(first)); !ok) co_return co_await writer->finish();
  // A named sink: GCC 12 mishandles lambdas with captures built inside co_await.
  auto send = [&writer](std::string piece) -> awaitable<Status> {
    v1::DeliverRequest request;
    request.set_chunk(std::move(piece));
    co_return co_await writer->write(std::move(request));
  };
  if (auto sent = co_await smtp::stream_spool(*d.body, prefix, kChunk, send);
      !sent && sent.error().code == "smtp.spool")
    co_return sent.error();
  co_return co_await writer->finish();
}

// The placement index a RESOURCE_EXHAUSTED names ("placement 2: ..."), or -1.
int placement_of(const Error& error) {
  constexpr std::string_view kPrefix = "placement ";
  const auto at = error.message.find(kPrefix);
  if (at == std::string::npos) return -1;
  return std::atoi(error.message.c_str() + at + kPrefix.size());
}

bool retryable(const Error& error) {
  const auto code = rpc::status_code(error);
  return !code || *code == grpc::StatusCode::UNAVAILABLE ||
         *code == grpc::StatusCode::DEADLINE_EXCEEDED || *code == grpc::StatusCode::ABORTED;
}

awaitable<void> deliver_to_store(const Settings& settings, Delivery& d) {
  for (int attempt = 0; attempt < kStoreAttempts;) {
    std::vector<const directory::Recipient*> open_recipients;
    std::vector<std::uint64_t> accounts;  // one placement per account: one copy each
    for (const auto& r : d.recipients) {
      if (!open(r)) continue;
      open_recipients.push_back(&r);
      if (std::find(accounts.begin(), accounts.end(), r.account_id) == accounts.end())
        accounts.push_back(r.account_id);
    }
    if (open_recipients.empty()) co_return;
    const auto prefix = trace_prefix(settings, d, open_recipients, accounts.size() == 1);
    v1::DeliverHeader header;
    for (auto account : accounts) {
      auto* placement = header.add_placements();
      placement->set_account_id(account);
      placement->mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
    }
    header.set_declared_size(prefix.size() + d.body->size());
    header.set_internal_date_unix_ms(d.arrival_unix_ms);
    // A retry after a lost reply finds the first result instead of storing a second copy.
    header.set_idempotency_key(d.idempotency_key.empty() ? "smtp-in:" + d.id : d.idempotency_key);
    auto reply = co_await send_to_store(settings, d, header, prefix);
    if (reply) {
      close_all(d, {250, "2.0.0", "Ok: queued as " + d.id});
      co_return;
    }
    const auto& error = reply.error();
    const auto code = rpc::status_code(error);
    if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      const int index = placement_of(error);
      if (!d.per_recipient_replies || index < 0 || index >= static_cast<int>(accounts.size())) {
        // SMTP: all or nothing. On the retry the RCPT quota check refuses the full mailbox
        // alone, and the others get their copy.
        close_all(d, {452, "4.2.2", "Mailbox full, try again later"});
        co_return;
      }
      for (auto& r : d.recipients)
        if (open(r) && r.account_id == accounts[static_cast<std::size_t>(index)])
          r.outcome = {552, "5.2.2", "<" + r.login + ">: Mailbox full"};
      continue;  // the others, without the full mailbox (not counted as an attempt)
    }
    if (code == grpc::StatusCode::INVALID_ARGUMENT) {
      close_all(d, {552, "5.3.4", "Message refused: " + error.message});
      co_return;
    }
    spdlog::warn("smtp-in {}: store delivery failed (attempt {}): {}", d.id, attempt + 1,
                 error.message);
    if (!retryable(error)) break;
    ++attempt;
  }
  close_all(d, smtp::replies::temporary_failure("Temporary failure, try again later"));
}

// The chain; stages of later issues slot in before the store.
using Stage = awaitable<void> (*)(const Settings&, Delivery&);
constexpr Stage kStages[] = {check_loops, deliver_to_store};

}  // namespace

awaitable<void> run_pipeline(const Settings& settings, Delivery& delivery) {
  for (Stage stage : kStages) {
    if (std::none_of(delivery.recipients.begin(), delivery.recipients.end(), open)) break;
    co_await stage(settings, delivery);
  }
  close_all(delivery, smtp::replies::temporary_failure("Temporary failure, try again later"));
}

smtp::Reply combined_reply(const Delivery& delivery) {
  for (const auto& r : delivery.recipients)
    if (r.outcome.positive()) return r.outcome;
  return delivery.recipients.empty() ? smtp::replies::temporary_failure("No recipients")
                                     : delivery.recipients.front().outcome;
}

}  // namespace tessera::smtpin
