#include "routing.hpp"

#include <spdlog/spdlog.h>

#include "crypto/digest.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"
#include "smtp/trace.hpp"

namespace tessera::relay {
namespace {

namespace v1 = store::v1;
constexpr std::size_t kChunk = 1 << 20;

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

// Writes `prefix` then the spooled message as chunks of a client stream.
template <typename Writer, typename Request>
awaitable<Status> stream_body(Writer& writer, const smtp::Spool& body, const std::string& prefix,
                              void (Request::*set_chunk)(std::string&&)) {
  std::string chunk = prefix;
  std::size_t offset = 0;
  while (offset < body.size() || !chunk.empty()) {
    auto piece = body.read(offset, kChunk - std::min(kChunk, chunk.size()));
    if (!piece) co_return piece.error();
    offset += piece->size();
    chunk += *piece;
    Request request;
    (request.*set_chunk)(std::move(chunk));
    chunk.clear();
    if (auto ok = co_await writer.write(std::move(request)); !ok) co_return ok;
  }
  co_return Status{};
}

awaitable<Result<inbound::v1::DeliverReply>> deliver_local(const Settings& settings,
                                                           const Submission& s,
                                                           const std::string& key) {
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
  envelope.set_declared_size(s.transaction->body.size());
  envelope.set_idempotency_key(key);
  auto writer = rpc::client_stream(settings.clients->inbound->async(),
                                   &inbound::v1::Inbound::Stub::async::Deliver,
                                   {.timeout = settings.store_timeout, .wait_for_ready = true});
  inbound::v1::DeliverRequest first;
  *first.mutable_envelope() = std::move(envelope);
  if (auto ok = co_await writer->write(std::move(first)); ok) {
    co_await stream_body<decltype(*writer), inbound::v1::DeliverRequest>(
        *writer, s.transaction->body, "", &inbound::v1::DeliverRequest::set_chunk);
  }
  co_return co_await writer->finish();
}

awaitable<Result<v1::EnqueueReply>> enqueue_remote(const Settings& settings, const Submission& s,
                                                   const std::string& key) {
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
    q->set_notify_failure(r.notify == 0 || (r.notify & smtp::notify_failure) != 0);
    q->set_notify_delay((r.notify & smtp::notify_delay) != 0);
    q->set_notify_never((r.notify & smtp::notify_never) != 0);
    if (!r.orcpt_type.empty()) q->set_original_recipient(r.orcpt_type + ";" + r.orcpt);
  }
  header.set_declared_size(received.size() + s.transaction->body.size());
  header.set_idempotency_key(key);
  header.set_submitter_account_id(s.identity->account_id);
  header.set_dsn_return(mail.ret == smtp::DsnReturn::full      ? v1::DSN_RETURN_FULL
                        : mail.ret == smtp::DsnReturn::headers ? v1::DSN_RETURN_HEADERS
                                                               : v1::DSN_RETURN_UNSPECIFIED);
  header.set_dsn_envelope_id(mail.envid);
  header.set_smtputf8(mail.smtputf8);
  auto writer =
      rpc::client_stream(settings.clients->queue->async(), &v1::Queue::Stub::async::Enqueue,
                         {.timeout = settings.store_timeout, .wait_for_ready = true});
  v1::EnqueueRequest first;
  *first.mutable_header() = std::move(header);
  if (auto ok = co_await writer->write(std::move(first)); ok) {
    co_await stream_body<decltype(*writer), v1::EnqueueRequest>(
        *writer, s.transaction->body, received, &v1::EnqueueRequest::set_chunk);
  }
  co_return co_await writer->finish();
}

}  // namespace

awaitable<smtp::Reply> route(const Settings& settings, Submission& s) {
  const auto key = idempotency_key(s);
  const auto& id = s.transaction->id;
  if (!s.local.empty()) {
    auto delivered = co_await deliver_local(settings, s, key);
    if (!delivered) {
      spdlog::warn("relay {}: Inbound.Deliver failed: {}", id, delivered.error().message);
      co_return try_later();
    }
    std::optional<smtp::Reply> refused;
    int accepted = 0;
    for (const auto& outcome : delivered->outcomes()) {
      smtp::Reply reply{static_cast<int>(outcome.code()), outcome.enhanced(), outcome.text()};
      if (reply.transient()) co_return reply;  // nothing was stored: the client retries all
      if (reply.positive()) ++accepted;
      if (reply.permanent() && !refused) refused = reply;
    }
    if (accepted == 0 && s.remote.empty() && refused) co_return *refused;
    if (refused)  // no bounce yet: the delivery workers' DSNs come with the outbound issue
      spdlog::warn("relay {}: a local recipient refused the message after DATA: {} {}", id,
                   refused->code, refused->text);
  }
  if (!s.remote.empty()) {
    auto queued = co_await enqueue_remote(settings, s, key);
    if (!queued) {
      spdlog::warn("relay {}: Enqueue failed: {}", id, queued.error().message);
      if (rpc::status_code(queued.error()) == grpc::StatusCode::RESOURCE_EXHAUSTED)
        co_return smtp::Reply{452, "4.3.1", "Insufficient system storage"};
      co_return try_later();
    }
    spdlog::info("relay {}: queued as entry {} for {} remote recipient(s)", id, queued->entry_id(),
                 s.remote.size());
  }
  co_return smtp::Reply{250, "2.0.0", "Ok: queued as " + id};
}

}  // namespace tessera::relay
