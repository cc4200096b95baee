#include "routing.hpp"

#include <spdlog/spdlog.h>

#include "crypto/digest.hpp"
#include "fixups.hpp"
#include "mandatory.hpp"
#include "reports.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"
#include "signing.hpp"
#include "smtp/dsn.hpp"
#include "smtp/trace.hpp"
#include "uploads.hpp"

namespace tessera::relay {
namespace {

namespace v1 = store::v1;
constexpr std::size_t kChunk = 1 << 20;  // idempotency digest reads

smtp::Reply try_later() {
  return smtp::replies::temporary_failure("Try again later");
}

std::string idempotency_key(const Submission& s) {
  crypto::Sha256 digest;
  digest.update(std::to_string(s.identity->account_id) + "\n" + s.transaction->mail.path.text());
  for (const auto& r : s.transaction->recipients)
    digest.update("\n" + r.path.text());
  digest.update("\n\n");
  const auto& body = s.transaction->body;
  for (std::size_t at = 0; at < body.size(); at += kChunk) {
    auto piece = body.read(at, kChunk);
    if (!piece) return "relay:" + s.transaction->id;  // unreadable spool: this attempt only
    digest.update(*piece);
  }
  return "relay:" + crypto::hex(digest.finish());
}

awaitable<Result<inbound::v1::DeliverReply>> deliver_local(const Settings& settings,
                                                           const Submission& s,
                                                           const std::string& key,
                                                           const std::string& signatures) {
  const auto& mail = s.transaction->mail;
  inbound::v1::Envelope envelope;
  envelope.set_mail_from(mail.path.text());
  for (const auto& r : s.local) {
    auto* recipient = envelope.add_recipients();
    recipient->set_address(r.rcpt.path.text());
    recipient->set_notify(r.rcpt.notify);
    recipient->set_orcpt_type(r.rcpt.orcpt_type);
    recipient->set_orcpt(r.rcpt.orcpt);
  }
  envelope.set_smtputf8(mail.smtputf8);
  envelope.set_ret(mail.ret == smtp::DsnReturn::full      ? "FULL"
                   : mail.ret == smtp::DsnReturn::headers ? "HDRS"
                                                          : "");
  envelope.set_envid(mail.envid);
  envelope.set_client_ip(s.session->client.address().to_string());
  envelope.set_helo(s.session->helo);
  envelope.set_protocol(smtp::with_protocol(*s.session, mail.smtputf8, true));
  envelope.set_idempotency_key(key);
  co_return co_await send_inbound(*settings.clients, settings.store_timeout, std::move(envelope),
                                  signatures, s.transaction->body);
}

awaitable<Result<v1::EnqueueReply>> enqueue_remote(const Settings& settings, const Submission& s,
                                                   const std::string& key,
                                                   const std::string& signatures) {
  const auto& mail = s.transaction->mail;
  // Our hop in the trace of the copy that leaves (RFC 5321 §4.4); local copies get theirs from
  // smtp-in.
  const auto received =
      smtp::received_field(*s.session, mail,
                           {.hostname = settings.submission.hostname,
                            .id = s.transaction->id,
                            .for_address = s.remote.size() == 1 ? s.remote.front().path.text() : "",
                            .unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count(),
                            .authenticated = true,
                            .protocol = ""});
  v1::EnqueueHeader header;
  header.set_envelope_sender(mail.path.text());
  for (const auto& r : s.remote) {
    auto* q = header.add_recipients();
    q->set_address(r.path.text());
    q->set_notify_success((r.notify & smtp::notify_success) != 0);
    // RFC 3461 §4.1: without NOTIFY the MTA may act as for NOTIFY=FAILURE,DELAY; users expect
    // to hear both of mail that cannot go and of mail that is late (the delay warning).
    q->set_notify_failure(r.notify == 0 || (r.notify & smtp::notify_failure) != 0);
    q->set_notify_delay(r.notify == 0 || (r.notify & smtp::notify_delay) != 0);
    q->set_notify_never((r.notify & smtp::notify_never) != 0);
    if (!r.orcpt_type.empty()) q->set_original_recipient(r.orcpt_type + ";" + r.orcpt);
  }
  header.set_idempotency_key(key);
  header.set_submitter_account_id(s.identity->account_id);
  header.set_dsn_return(mail.ret == smtp::DsnReturn::full      ? v1::DSN_RETURN_FULL
                        : mail.ret == smtp::DsnReturn::headers ? v1::DSN_RETURN_HEADERS
                                                               : v1::DSN_RETURN_UNSPECIFIED);
  header.set_dsn_envelope_id(mail.envid);
  header.set_smtputf8(mail.smtputf8);
  const auto prefix = received + signatures;
  co_return co_await send_queue(*settings.clients, settings.store_timeout, std::move(header),
                                prefix, s.transaction->body);
}

// RFC 3461 §6: a local recipient refused the message after it was accepted (its mailbox filled
// up in between): the sender gets a DSN with the original's header, from <> so that it can
// never bounce back. Hosted senders receive it through smtp-in; others through the queue.
awaitable<void> bounce(const Settings& settings, const Submission& s, const std::string& key,
                       const std::vector<smtp::DsnRecipient>& failed) {
  const auto& sender = s.transaction->mail.path;
  if (!sender.mailbox || failed.empty()) co_return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto head = s.transaction->body.head();
  const auto header_end = header_length(head);
  smtp::DsnReport report;
  report.reporting_mta = settings.submission.hostname;
  report.to = sender.text();
  report.message_id = s.transaction->id + ".dsn@" + settings.submission.hostname;
  report.envelope_id = s.transaction->mail.envid;
  report.arrival_unix_ms = now;
  report.now_unix_ms = now;
  report.recipients = failed;
  report.returned = head.substr(0, header_end == std::string_view::npos ? head.size() : header_end);
  if (auto sent = co_await send_report(settings.reports, report, key + ":dsn"); !sent)
    spdlog::error("relay {}: could not send the DSN to <{}>: {}", s.transaction->id, sender.text(),
                  sent.error().message);
}

}  // namespace

awaitable<smtp::Reply> route(const Settings& settings, Submission& s) {
  const auto key = idempotency_key(s);
  const auto& id = s.transaction->id;
  if (auto added = co_await add_mandatory_signature(settings, *s.identity, *s.transaction);
      !added) {
    spdlog::warn("relay {}: no mandatory signature: {}", id, added.error().message);
    co_return try_later();
  }
  auto signed_by = co_await dkim_signatures(settings, s.from_domain, s.transaction->body);
  if (!signed_by) {
    spdlog::warn("relay {}: no DKIM keys from the store: {}", id, signed_by.error().message);
    co_return try_later();
  }
  const auto& signatures = *signed_by;
  if (!s.local.empty()) {
    auto delivered = co_await deliver_local(settings, s, key, signatures);
    if (!delivered) {
      spdlog::warn("relay {}: Inbound.Deliver failed: {}", id, delivered.error().message);
      co_return try_later();
    }
    std::optional<smtp::Reply> refused;
    std::vector<smtp::DsnRecipient> failed;
    int accepted = 0;
    for (int i = 0; i < delivered->outcomes_size(); ++i) {
      const auto& outcome = delivered->outcomes(i);
      smtp::Reply reply{static_cast<int>(outcome.code()), outcome.enhanced(), outcome.text()};
      if (reply.transient()) co_return reply;  // nothing was stored: the client retries all
      if (reply.positive()) ++accepted;
      if (reply.permanent()) {
        if (!refused) refused = reply;
        const auto& rcpt = s.local[static_cast<std::size_t>(i)].rcpt;
        failed.push_back(
            {.final_recipient = rcpt.path.text(),
             .original_recipient =
                 rcpt.orcpt_type.empty() ? "" : rcpt.orcpt_type + ";" + rcpt.orcpt,
             .action = smtp::DsnAction::failed,
             .status = reply.enhanced,
             .remote_mta = settings.submission.hostname,
             .diagnostic = std::to_string(reply.code) + " " + reply.enhanced + " " + reply.text,
             .last_attempt_unix_ms = 0,
             .will_retry_until_unix_ms = 0});
      }
    }
    // Nothing stored anywhere: the client hears it now, no DSN.
    if (accepted == 0 && s.remote.empty() && refused) co_return *refused;
    if (!failed.empty()) {
      spdlog::info("relay {}: {} local recipient(s) refused the message after DATA; DSN to <{}>",
                   id, failed.size(), s.transaction->mail.path.text());
      co_await bounce(settings, s, key, failed);
    }
  }
  if (!s.remote.empty()) {
    auto queued = co_await enqueue_remote(settings, s, key, signatures);
    if (!queued) {
      spdlog::warn("relay {}: Enqueue failed: {}", id, queued.error().message);
      if (rpc::status_code(queued.error()) == grpc::StatusCode::RESOURCE_EXHAUSTED)
        co_return smtp::Reply{452, "4.3.1", "Insufficient system storage"};
      co_return try_later();
    }
    spdlog::info("relay {}: queued as entry {} for {} remote recipient(s)", id, queued->entry_id(),
                 s.remote.size());
    if (settings.queued) settings.queued();
  }
  co_return smtp::Reply{250, "2.0.0", "Ok: queued as " + id};
}

}  // namespace tessera::relay
