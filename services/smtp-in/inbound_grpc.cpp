#include "inbound_grpc.hpp"

#include <chrono>
#include <future>

#include <spdlog/spdlog.h>

#include "delivery_metrics.hpp"
#include "directory/recipient.hpp"
#include "pipeline.hpp"
#include "smtp/server.hpp"

namespace tessera::smtpin {
namespace {

namespace v1 = inbound::v1;

constexpr std::size_t kMaxChunk = 1 << 20;

grpc::Status invalid(const std::string& why) {
  return {grpc::StatusCode::INVALID_ARGUMENT, why};
}

v1::Outcome outcome_of(const smtp::Reply& reply) {
  v1::Outcome out;
  out.set_code(static_cast<std::uint32_t>(reply.code));
  out.set_enhanced(reply.enhanced);
  out.set_text(reply.text);
  return out;
}

// What Received and the pipeline need to know of where the message came from.
smtp::SessionInfo session_of(const v1::Envelope& envelope) {
  smtp::SessionInfo session;
  session.dialect = smtp::Dialect::lmtp;  // per-recipient outcomes
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(envelope.client_ip(), ec);
  session.client = tcp::endpoint(ec ? asio::ip::address_v4::loopback() : address, 0);
  session.helo = envelope.helo().empty() ? "localhost" : envelope.helo();
  session.esmtp = true;
  session.session_id = "inbound";
  return session;
}

awaitable<v1::DeliverReply> run(const Settings& settings, const v1::Envelope& envelope,
                                const smtp::Spool& body) {
  const auto session = session_of(envelope);
  smtp::MailFrom mail;
  if (auto path = smtp::parse_path("<" + envelope.mail_from() + ">", true)) mail.path = *path;
  mail.smtputf8 = envelope.smtputf8();
  mail.envid = envelope.envid();
  mail.ret = envelope.ret() == "FULL"   ? smtp::DsnReturn::full
             : envelope.ret() == "HDRS" ? smtp::DsnReturn::headers
                                        : smtp::DsnReturn::unspecified;
  Delivery delivery;
  delivery.id = smtp::new_transaction_id();
  delivery.session = &session;
  delivery.mail = &mail;
  delivery.body = &body;
  delivery.arrival_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  delivery.per_recipient_replies = true;
  delivery.protocol = envelope.protocol();
  if (!envelope.idempotency_key().empty())
    delivery.idempotency_key = "inbound:" + envelope.idempotency_key();
  std::vector<smtp::Reply> outcomes(static_cast<std::size_t>(envelope.recipients_size()));
  std::vector<std::size_t> accepted;  // envelope index of each Delivery recipient
  for (int i = 0; i < envelope.recipients_size(); ++i) {
    const auto& given = envelope.recipients(i);
    auto path = smtp::parse_path("<" + given.address() + ">", true);
    if (!path || !path->mailbox) {
      outcomes[static_cast<std::size_t>(i)] = {501, "5.1.3", "Bad recipient address syntax"};
      continue;
    }
    smtp::RcptTo rcpt;
    rcpt.path = std::move(*path);
    rcpt.notify = given.notify();
    rcpt.orcpt_type = given.orcpt_type();
    rcpt.orcpt = given.orcpt();
    auto lookup =
        co_await directory::look_up(*settings.store->directory, settings.lookup, rcpt, body.size());
    count_rcpt("inbound", lookup.reply);
    if (!lookup.recipient) {
      outcomes[static_cast<std::size_t>(i)] = lookup.reply;
      continue;
    }
    delivery.recipients.push_back(std::move(*lookup.recipient));
    accepted.push_back(static_cast<std::size_t>(i));
  }
  co_await run_pipeline(settings, delivery);
  for (std::size_t k = 0; k < accepted.size(); ++k) {
    outcomes[accepted[k]] = delivery.recipients[k].outcome;
    count_outcome("inbound", delivery.recipients[k].outcome, body.size());
  }
  v1::DeliverReply reply;
  reply.set_id(delivery.id);
  for (const auto& outcome : outcomes)
    *reply.add_outcomes() = outcome_of(outcome);
  co_return reply;
}

}  // namespace

grpc::Status InboundService::Deliver(grpc::ServerContext*,
                                     grpc::ServerReader<v1::DeliverRequest>* reader,
                                     v1::DeliverReply* reply) {
  v1::DeliverRequest request;
  if (!reader->Read(&request) || !request.has_envelope())
    return invalid("the first request must carry the envelope");
  const v1::Envelope envelope = request.envelope();
  if (envelope.recipients_size() == 0) return invalid("a delivery needs a recipient");
  if (envelope.declared_size() > settings_.mx.max_message) {
    reply->set_id(smtp::new_transaction_id());
    for (int i = 0; i < envelope.recipients_size(); ++i)
      *reply->add_outcomes() = outcome_of({552, "5.3.4", "Message size exceeds fixed limit"});
    return grpc::Status::OK;
  }
  smtp::Spool body(settings_.mx.spool_directory, settings_.mx.spool_memory);
  while (reader->Read(&request)) {
    if (request.part_case() != v1::DeliverRequest::kChunk)
      return invalid("only the first request carries the envelope");
    const auto& chunk = request.chunk();
    if (chunk.size() > kMaxChunk) return invalid("a chunk is at most 1 MiB");
    if (body.size() + chunk.size() > envelope.declared_size())
      return invalid("more bytes than declared_size");
    if (auto ok = body.append(chunk); !ok)
      return {grpc::StatusCode::RESOURCE_EXHAUSTED, ok.error().message};
  }
  if (body.size() != envelope.declared_size()) return invalid("fewer bytes than declared_size");
  auto future = asio::co_spawn(io_, run(settings_, envelope, body), asio::use_future);
  *reply = future.get();
  return grpc::Status::OK;
}

}  // namespace tessera::smtpin
