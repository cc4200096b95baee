// MAIL, RCPT, DATA and BDAT: the mail transaction (RFC 5321 §3.3, RFC 3030).
#include <spdlog/spdlog.h>

#include "smtp/data_decoder.hpp"
#include "smtp/server_session.hpp"

namespace tessera::smtp::detail {

awaitable<Session::Next> Session::mail(const CommandLine& command) {
  if (info_.helo.empty())
    co_return reply(
        replies::bad_sequence(lmtp() ? "Error: send LHLO first" : "Error: send HELO/EHLO first"));
  if (in_transaction()) co_return reply(replies::bad_sequence("Error: nested MAIL"));
  if (settings_.require_auth && info_.authenticated.empty()) {
    co_return reply(settings_.auth_needs_tls && !info_.tls
                        ? Reply{530, "5.7.0", "Must issue a STARTTLS command first"}
                        : Reply{530, "5.7.0", "Authentication required"});
  }
  auto parsed = parse_mail(command.args, extensions());
  if (!parsed) co_return reply(reply_of(parsed.error()));
  auto answer = co_await handler_.mail(info_, *parsed);
  if (answer.positive()) {
    transaction_ = std::make_unique<Transaction>(Transaction{
        .id = new_transaction_id(),
        .mail = std::move(*parsed),
        .recipients = {},
        .body = Spool(settings_.spool_directory, settings_.spool_memory),
        .bare_lf = false,
        .chunked = false,
        .number = ++transactions_,
    });
    commands_without_mail_ = 0;
    bdat_failed_ = false;
  }
  co_return reply(answer);
}
awaitable<Session::Next> Session::rcpt(const CommandLine& command) {
  if (!in_transaction()) co_return reply(replies::bad_sequence("Error: need MAIL"));
  if (transaction_->recipients.size() >= settings_.max_recipients)
    co_return reply({452, "4.5.3", "Error: too many recipients"});
  auto parsed = parse_rcpt(command.args, extensions());
  if (!parsed) co_return reply(reply_of(parsed.error()));
  // RFC 6531 §3.4: a UTF-8 address only in a transaction that asked for SMTPUTF8.
  if (parsed->path.mailbox->utf8 && !transaction_->mail.smtputf8)
    co_return reply({553, "5.6.7", "Non-ASCII address needs SMTPUTF8"});
  auto answer = co_await handler_.rcpt(info_, *transaction_, *parsed);
  if (answer.positive()) transaction_->recipients.push_back(std::move(*parsed));
  co_return reply(answer);
}
awaitable<Session::Next> Session::data(const CommandLine& command) {
  if (!command.args.empty()) co_return reply(replies::syntax_error("Syntax: DATA"));
  if (!in_transaction()) co_return reply(replies::bad_sequence("Error: need MAIL"));
  if (transaction_->chunked) co_return reply(replies::bad_sequence("Error: DATA after BDAT"));
  // §3.3: no valid recipient, no data (RFC 2920 §3.1: the client waits for 354).
  if (transaction_->recipients.empty())
    co_return reply({554, "5.5.1", "Error: no valid recipients"});
  pending_ += format({354, "", "End data with <CR><LF>.<CR><LF>"});
  if (!co_await flush()) co_return Next::close;
  const auto body = co_await read_data();
  switch (body) {
    case DataEnd::complete:
      co_return co_await deliver();
    case DataEnd::too_large:
      reset_transaction();
      co_return reply({552, "5.3.4", "Error: message too large"});
    case DataEnd::no_space:
      reset_transaction();
      co_return reply({452, "4.3.1", "Error: insufficient system storage"});
    case DataEnd::lost:
      break;
  }
  reset_transaction();
  co_return Next::close;  // the client is gone: nothing of this message is kept
}
// Reads the body to its end line whatever happens to it: a message over the size limit
// (§4.5.3.1.7) or one the spool cannot hold is read on and dropped, so the session stays in
// step with the client and can answer.
awaitable<Session::DataEnd> Session::read_data() {
  reader_.set_read_timeout(settings_.data_timeout);
  DataDecoder decoder;
  std::string decoded;
  DataEnd outcome = DataEnd::complete;
  for (;;) {
    auto view = co_await reader_.peek(64 * 1024);
    if (!view) {
      outcome = DataEnd::lost;
      break;
    }
    decoded.clear();
    const auto step = decoder.feed(*view, decoded);
    reader_.consume(step.consumed);
    if (outcome == DataEnd::complete &&
        transaction_->body.size() + decoded.size() > settings_.max_message)
      outcome = DataEnd::too_large;
    if (outcome == DataEnd::complete && !transaction_->body.append(decoded)) {
      spdlog::error("smtp {}: spool full or unwritable in {}", info_.session_id,
                    settings_.spool_directory);
      outcome = DataEnd::no_space;
    }
    if (step.done) break;
  }
  reader_.set_read_timeout(settings_.command_timeout);
  transaction_->bare_lf = decoder.saw_bare_lf();
  if (transaction_->bare_lf)
    spdlog::info("smtp {}: message {} had bare LF line ends (stored as CRLF)", info_.session_id,
                 transaction_->id);
  co_return outcome;
}
// RFC 3030 §2: the chunk's bytes are always read, even when the command is refused, so the
// session stays in step.
awaitable<Session::Next> Session::bdat(const CommandLine& command) {
  auto parsed = parse_bdat(command.args);
  if (!parsed) {
    // Without a size we cannot find the end of the chunk: close, as Postfix does.
    pending_ += format(reply_of(parsed.error()));
    co_return Next::close;
  }
  std::optional<Reply> refusal;
  if (!in_transaction()) {
    refusal = replies::bad_sequence("Error: need MAIL");
  } else if (transaction_->recipients.empty()) {
    refusal = Reply{554, "5.5.1", "Error: no valid recipients"};
  } else if (bdat_failed_ || transaction_->body.size() + parsed->size > settings_.max_message) {
    refusal = Reply{552, "5.3.4", "Error: message too large"};
  }
  reader_.set_read_timeout(settings_.data_timeout);
  Status stored{};
  // A named sink: GCC 12 mishandles lambdas with captures built inside co_await.
  net::ChunkSink sink = [&](std::string_view chunk) -> awaitable<Status> {
    if (!refusal && stored) stored = transaction_->body.append(chunk);
    co_return Status{};
  };
  auto read = co_await reader_.read_chunks(parsed->size, 64 * 1024, std::move(sink));
  reader_.set_read_timeout(settings_.command_timeout);
  if (!read) {
    reset_transaction();
    co_return Next::close;
  }
  if (!stored) refusal = Reply{452, "4.3.1", "Error: insufficient system storage"};
  if (refusal) {
    if (in_transaction() && !transaction_->recipients.empty()) bdat_failed_ = true;
    if (parsed->last) reset_transaction();
    co_return reply(*refusal);
  }
  transaction_->chunked = true;
  if (!parsed->last)
    co_return reply({250, "2.0.0", std::to_string(parsed->size) + " octets received"});
  co_return co_await deliver();
}
awaitable<Session::Next> Session::deliver() {
  auto answers = co_await handler_.deliver(info_, *transaction_);
  const auto expected = lmtp() ? transaction_->recipients.size() : 1;
  reset_transaction();
  if (answers.size() != expected) answers.assign(expected, replies::temporary_failure("Error"));
  for (std::size_t i = 0; i + 1 < answers.size(); ++i)
    pending_ += format(answers[i]);  // LMTP: one reply per recipient; only the last is counted
  co_return reply(answers.back());
}
}  // namespace tessera::smtp::detail
