#include "inbound_handler.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "delivery_metrics.hpp"
#include "pipeline.hpp"

namespace tessera::smtpin {
namespace {

std::string_view listener_of(const smtp::SessionInfo& session) {
  return session.dialect == smtp::Dialect::lmtp ? "lmtp" : "smtp";
}

}  // namespace

// Any sender is accepted for now: sender checks (SPF, DNSBL) belong to the antispam stage.
awaitable<smtp::Reply> InboundHandler::mail(const smtp::SessionInfo&, const smtp::MailFrom&) {
  co_return smtp::Reply{250, "2.1.0", "Ok"};
}

awaitable<smtp::Reply> InboundHandler::rcpt(const smtp::SessionInfo& session,
                                            const smtp::Transaction& transaction,
                                            const smtp::RcptTo& rcpt) {
  auto lookup = co_await directory::look_up(*settings_.store->directory, settings_.lookup, rcpt,
                                            transaction.mail.size.value_or(0));
  count_rcpt(listener_of(session), lookup.reply);
  if (lookup.recipient) {
    recipients_.push_back(std::move(*lookup.recipient));
  } else {
    spdlog::info("smtp-in {}: RCPT <{}> refused: {} {}", session.session_id, rcpt.path.text(),
                 lookup.reply.code, lookup.reply.text);
  }
  co_return lookup.reply;
}

awaitable<std::vector<smtp::Reply>> InboundHandler::deliver(const smtp::SessionInfo& session,
                                                            smtp::Transaction& transaction) {
  Delivery delivery;
  delivery.id = transaction.id;
  delivery.session = &session;
  delivery.mail = &transaction.mail;
  delivery.body = &transaction.body;
  delivery.recipients = std::move(recipients_);
  recipients_.clear();
  delivery.arrival_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  delivery.per_recipient_replies = session.dialect == smtp::Dialect::lmtp;
  co_await run_pipeline(settings_, delivery);
  std::vector<smtp::Reply> replies;
  for (const auto& r : delivery.recipients) {
    spdlog::info("smtp-in {}: {} from=<{}> to=<{}> size={} {} {}", session.session_id, delivery.id,
                 transaction.mail.path.text(), r.address, transaction.body.size(), r.outcome.code,
                 r.outcome.text);
    count_outcome(listener_of(session), r.outcome, transaction.body.size());
    if (delivery.per_recipient_replies) replies.push_back(r.outcome);
  }
  if (!delivery.per_recipient_replies) replies.push_back(combined_reply(delivery));
  co_return replies;
}

}  // namespace tessera::smtpin
