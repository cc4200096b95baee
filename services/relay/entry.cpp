#include "entry.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "delivery.hpp"
#include "fixups.hpp"
#include "rpc/client.hpp"

namespace tessera::relay {
namespace {

namespace v1 = store::v1;

rpc::CallOptions call_options(const DeliverySettings& settings) {
  return store_call(settings.store_timeout);
}

bool has_eight_bit(std::string_view bytes) {
  for (unsigned char c : bytes)
    if (c > 127) return true;
  return false;
}

std::string status_of(const smtp::Reply& reply, smtp::DsnAction action) {
  if (action == smtp::DsnAction::delivered || action == smtp::DsnAction::relayed) return "2.0.0";
  if (!reply.enhanced.empty() && (action != smtp::DsnAction::delayed || reply.enhanced[0] == '4'))
    return reply.enhanced;
  return action == smtp::DsnAction::delayed ? "4.0.0" : "5.0.0";
}

// The notices of one attempt, one report per kind.
struct Notices {
  std::vector<smtp::DsnRecipient> failed, delayed, relayed;
  std::vector<int> failed_results, delayed_results;  // into CompleteRequest.results
};

void note(Notices& notices, v1::RecipientResult& result, int result_index,
          const v1::QueueRecipient& recipient, const RecipientReply& reply,
          const DeliverySettings& settings, const v1::QueueEntry& entry, std::int64_t now,
          const smtp::Reply& final_reply) {
  smtp::DsnRecipient dsn{.final_recipient = recipient.address(),
                         .original_recipient = recipient.original_recipient(),
                         .action = smtp::DsnAction::failed,
                         .status = "",
                         .remote_mta = reply.remote_mta,
                         .diagnostic = result.reply(),
                         .last_attempt_unix_ms = now,
                         .will_retry_until_unix_ms = 0};
  const bool never = recipient.notify_never();
  if (result.outcome() == v1::DELIVERY_OUTCOME_FAILED && recipient.notify_failure() && !never) {
    dsn.status = status_of(final_reply, dsn.action);
    notices.failed.push_back(dsn);
    notices.failed_results.push_back(result_index);
  } else if (result.outcome() == v1::DELIVERY_OUTCOME_DEFERRED &&
             delay_warning_due(settings.retry, recipient, entry.created_unix_ms(), now)) {
    dsn.action = smtp::DsnAction::delayed;
    dsn.status = status_of(final_reply, dsn.action);
    dsn.will_retry_until_unix_ms = entry.created_unix_ms() + settings.retry.lifetime.count();
    result.set_delay_warned(true);
    notices.delayed.push_back(dsn);
    notices.delayed_results.push_back(result_index);
  } else if (result.outcome() == v1::DELIVERY_OUTCOME_DELIVERED && recipient.notify_success() &&
             !never && !reply.remote_dsn) {
    // RFC 3461 §6.2.3.1: the next hop cannot carry NOTIFY=SUCCESS on, so we say "relayed".
    dsn.action = smtp::DsnAction::relayed;
    dsn.status = status_of(final_reply, dsn.action);
    notices.relayed.push_back(dsn);
  }
}

awaitable<bool> send_notice(const DeliverySettings& settings, const v1::LeasedEntry& leased,
                            const EntryBody& body,
                            const std::vector<smtp::DsnRecipient>& recipients,
                            std::string_view kind, std::int64_t now) {
  if (recipients.empty()) co_return true;
  const auto& entry = leased.entry();
  const auto& header = entry.header();
  const auto head = body.spool.head();
  const auto header_end = header_length(head);
  const bool whole = body.spool.size() == head.size();
  smtp::DsnReport report;
  report.reporting_mta = settings.reports.hostname;
  report.to = header.envelope_sender();
  const auto id = std::to_string(entry.entry_id());
  report.message_id =
      id + "." + std::string(kind) + "." + std::to_string(now) + "@" + settings.reports.hostname;
  report.envelope_id = header.dsn_envelope_id();
  report.arrival_unix_ms = entry.created_unix_ms();
  report.now_unix_ms = now;
  report.recipients = recipients;
  // RET=FULL returns the message when it is small enough to sit in memory, otherwise (and by
  // default, RFC 3461 §4.3) its header.
  report.returned_full = header.dsn_return() == v1::DSN_RETURN_FULL && whole;
  report.returned = report.returned_full || header_end == std::string_view::npos
                        ? head
                        : head.substr(0, header_end);
  // One key per entry, kind and attempt: a worker that crashes after sending this notice and
  // before Complete retries the same attempt and sends nothing twice.
  const auto key = "dsn:" + id + ":" + std::string(kind) + ":" + std::to_string(entry.attempts());
  auto sent = co_await send_report(settings.reports, report, key);
  if (!sent) {
    spdlog::warn("relay: entry {}: the {} notice to <{}> was not sent: {}", id, kind, report.to,
                 sent.error().message);
    co_return false;
  }
  spdlog::info("relay: entry {}: {} notice sent to <{}> for {} recipient(s)", id, kind, report.to,
               report.recipients.size());
  co_return true;
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

awaitable<Result<EntryBody>> read_body(const DeliverySettings& settings,
                                       const v1::LeasedEntry& leased) {
  EntryBody body{smtp::Spool(settings.reports.spool_directory, settings.reports.spool_memory)};
  v1::ReadBodyRequest request;
  request.set_entry_id(leased.entry().entry_id());
  request.set_lease_token(leased.lease_token());
  auto reader =
      rpc::server_stream(settings.reports.clients->queue->async(),
                         &v1::Queue::Stub::async::ReadBody, request, call_options(settings));
  for (;;) {
    auto item = co_await reader->next();
    if (!item) co_return item.error();
    if (!*item) break;
    const auto& data = (*item)->data();
    if (!body.eight_bit) body.eight_bit = has_eight_bit(data);
    if (auto ok = body.spool.append(data); !ok) co_return ok.error();
  }
  if (body.spool.size() != leased.entry().size())
    co_return make_error("relay.body", "the queue's body has " + std::to_string(body.spool.size()) +
                                           " bytes, not " + std::to_string(leased.entry().size()));
  co_return body;
}

smtp::MailFrom mail_of(const v1::QueueEntry& entry, bool eight_bit) {
  const auto& header = entry.header();
  smtp::MailFrom mail;
  if (!header.envelope_sender().empty())
    if (auto path = smtp::parse_path("<" + header.envelope_sender() + ">", true)) mail.path = *path;
  mail.size = entry.size();
  mail.body = eight_bit ? smtp::Body::eight_bit_mime : smtp::Body::unspecified;
  mail.smtputf8 = header.smtputf8();
  mail.ret = header.dsn_return() == v1::DSN_RETURN_FULL      ? smtp::DsnReturn::full
             : header.dsn_return() == v1::DSN_RETURN_HEADERS ? smtp::DsnReturn::headers
                                                             : smtp::DsnReturn::unspecified;
  mail.envid = header.dsn_envelope_id();
  return mail;
}

std::optional<smtp::RcptTo> rcpt_of(const v1::QueueRecipient& recipient) {
  auto path = smtp::parse_path("<" + recipient.address() + ">", true);
  if (!path || !path->mailbox) return std::nullopt;
  smtp::RcptTo rcpt;
  rcpt.path = *path;
  if (recipient.notify_never()) {
    rcpt.notify = smtp::notify_never;
  } else {
    if (recipient.notify_success()) rcpt.notify |= smtp::notify_success;
    if (recipient.notify_failure()) rcpt.notify |= smtp::notify_failure;
    if (recipient.notify_delay()) rcpt.notify |= smtp::notify_delay;
  }
  const auto& original = recipient.original_recipient();
  if (const auto semicolon = original.find(';'); semicolon != std::string::npos) {
    rcpt.orcpt_type = original.substr(0, semicolon);
    rcpt.orcpt = original.substr(semicolon + 1);
  }
  return rcpt;
}

awaitable<void> finish(const DeliverySettings& settings, const v1::LeasedEntry& leased,
                       const EntryBody& body, const std::vector<Tried>& tried) {
  const auto& entry = leased.entry();
  const auto now = now_ms();
  v1::CompleteRequest complete;
  complete.set_entry_id(entry.entry_id());
  complete.set_lease_token(leased.lease_token());
  Notices notices;
  for (const auto& t : tried) {
    const auto& recipient = entry.header().recipients(t.index);
    auto reply = t.reply.reply;
    auto outcome = outcome_of(reply);
    if (outcome == v1::DELIVERY_OUTCOME_DEFERRED &&
        expired(settings.retry, entry.created_unix_ms(), now)) {
      reply = expiry_reply(reply);
      outcome = v1::DELIVERY_OUTCOME_FAILED;
    }
    auto* result = complete.add_results();
    result->set_address(recipient.address());
    result->set_outcome(outcome);
    result->set_reply(reply_text(reply));
    result->set_remote_mta(t.reply.remote_mta);
    spdlog::info("relay: entry {} to=<{}> relay={} status={} ({})", entry.entry_id(),
                 recipient.address(), t.reply.remote_mta.empty() ? "none" : t.reply.remote_mta,
                 outcome == v1::DELIVERY_OUTCOME_DELIVERED ? "sent"
                 : outcome == v1::DELIVERY_OUTCOME_FAILED  ? "bounced"
                                                           : "deferred",
                 result->reply());
    note(notices, *result, complete.results_size() - 1, recipient, t.reply, settings, entry, now,
         reply);
  }
  // Never a notice about a notice (RFC 5321 §4.5.5: the null reverse-path).
  if (!entry.header().envelope_sender().empty()) {
    if (!co_await send_notice(settings, leased, body, notices.failed, "failed", now))
      for (int i : notices.failed_results)
        complete.mutable_results(i)->set_outcome(v1::DELIVERY_OUTCOME_DEFERRED);
    if (!co_await send_notice(settings, leased, body, notices.delayed, "delayed", now))
      for (int i : notices.delayed_results)
        complete.mutable_results(i)->set_delay_warned(false);
    (void)co_await send_notice(settings, leased, body, notices.relayed, "relayed", now);
  }
  complete.set_next_attempt_unix_ms(next_attempt_ms(settings.retry, entry.attempts() + 1, now));
  auto done = co_await rpc::unary(settings.reports.clients->queue->async(),
                                  &v1::Queue::Stub::async::Complete, std::move(complete),
                                  call_options(settings));
  if (!done)
    spdlog::warn("relay: entry {}: Complete failed ({}); it will be tried again", entry.entry_id(),
                 done.error().message);
}

namespace {

// Queue.Renew every third of the lease: two thirds are left when the store misses one turn.
rpc::Keeper::Renew renew_lease(const DeliverySettings& settings, std::uint64_t entry_id,
                               std::string token) {
  return [&settings, entry_id, token = std::move(token)]() -> awaitable<rpc::Renewal> {
    v1::RenewRequest request;
    request.set_entry_id(entry_id);
    request.set_lease_token(token);
    request.set_visibility_timeout_ms(static_cast<std::uint32_t>(settings.lease.count()));
    auto renewed = co_await rpc::unary(settings.reports.clients->queue->async(),
                                       &v1::Queue::Stub::async::Renew, std::move(request),
                                       call_options(settings));
    if (renewed) co_return rpc::Renewal::kept;
    const auto code = rpc::status_code(renewed.error());
    if (code != grpc::StatusCode::FAILED_PRECONDITION && code != grpc::StatusCode::NOT_FOUND)
      co_return rpc::Renewal::retry;
    spdlog::warn("relay: entry {}: the lease is lost ({}); this attempt stops", entry_id,
                 renewed.error().message);
    co_return rpc::Renewal::lost;
  };
}

}  // namespace

LeaseKeeper::LeaseKeeper(const DeliverySettings& settings, const v1::LeasedEntry& leased,
                         const asio::any_io_executor& executor)
    : keeper_(executor, std::max(settings.lease / 3, std::chrono::milliseconds(100)),
              renew_lease(settings, leased.entry().entry_id(), leased.lease_token())) {}

awaitable<void> retry_later(const DeliverySettings& settings, const v1::LeasedEntry& leased,
                            std::int64_t when_ms, std::string reason) {
  v1::RetryAtRequest request;
  request.set_entry_id(leased.entry().entry_id());
  request.set_lease_token(leased.lease_token());
  request.set_next_attempt_unix_ms(when_ms);
  request.set_reason(std::move(reason));
  auto done = co_await rpc::unary(settings.reports.clients->queue->async(),
                                  &v1::Queue::Stub::async::RetryAt, std::move(request),
                                  call_options(settings));
  if (!done)
    spdlog::warn("relay: entry {}: RetryAt failed: {}", leased.entry().entry_id(),
                 done.error().message);
}

}  // namespace tessera::relay
