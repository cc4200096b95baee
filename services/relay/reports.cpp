#include "reports.hpp"

#include "uploads.hpp"

namespace tessera::relay {

awaitable<Status> send_report(const ReportSender& sender, const smtp::DsnReport& report,
                              const std::string& key) {
  smtp::Spool dsn(sender.spool_directory, sender.spool_memory);
  if (auto ok = dsn.append(smtp::build_dsn(report)); !ok) co_return ok;
  inbound::v1::Envelope envelope;
  envelope.add_recipients()->set_address(report.to);
  envelope.set_helo(sender.hostname);
  envelope.set_client_ip("127.0.0.1");
  envelope.set_protocol("ESMTP");
  envelope.set_idempotency_key(key);
  auto delivered =
      co_await send_inbound(*sender.clients, sender.timeout, std::move(envelope), "", dsn);
  if (!delivered) co_return delivered.error();
  if (delivered->outcomes_size() != 1)
    co_return make_error("relay.report", "Inbound.Deliver answered no outcome");
  const auto& outcome = delivered->outcomes(0);
  if (outcome.code() / 100 == 2) co_return Status{};
  if (outcome.code() / 100 == 4)
    co_return make_error("relay.report", "smtp-in deferred the notice: " + outcome.text());
  // smtp-in relays nothing: a foreign domain gets 554 5.7.1 there, so it goes out through the
  // queue. Any other refusal (the sender's mailbox is gone or full) ends the notice here.
  if (outcome.code() != 554 || outcome.enhanced() != "5.7.1")
    co_return make_error("relay.report", "the sender refused the notice: " +
                                             std::to_string(outcome.code()) + " " + outcome.text());
  store::v1::EnqueueHeader header;
  auto* recipient = header.add_recipients();
  recipient->set_address(report.to);
  recipient->set_notify_never(true);
  header.set_idempotency_key(key);
  auto queued = co_await send_queue(*sender.clients, sender.timeout, std::move(header), "", dsn);
  if (!queued) co_return queued.error();
  co_return Status{};
}

}  // namespace tessera::relay
