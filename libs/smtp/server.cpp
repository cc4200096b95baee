#include "smtp/server.hpp"

#include <spdlog/spdlog.h>

#include "crypto/random.hpp"
#include "net/errors.hpp"
#include "net/line_reader.hpp"
#include "smtp/data_decoder.hpp"

namespace tessera::smtp {
namespace {

// A random id of 14 characters from [0-9A-Z]: "queued as" ids and session ids.
std::string new_id() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const auto raw = crypto::random_token(14);
  std::string out;
  for (char c : raw)
    out.push_back(kAlphabet[static_cast<unsigned char>(c) % 36]);
  return out.substr(0, 14);
}

metrics::ConnectionResult result_of(const Error& error) {
  if (error.code == net::errc::timeout) return metrics::ConnectionResult::timeout;
  if (error.code == net::errc::eof) return metrics::ConnectionResult::peer_closed;
  return metrics::ConnectionResult::error;
}

class Session {
 public:
  Session(net::Connection connection, const ServerSettings& settings, Handler& handler)
      : connection_(std::move(connection)),
        settings_(settings),
        handler_(handler),
        reader_(connection_.stream,
                {.max_line_bytes = settings.max_line, .read_timeout = settings.command_timeout}) {
    info_.dialect = settings.dialect;
    info_.client = connection_.client;
    info_.session_id = new_id();
  }

  awaitable<metrics::ConnectionResult> run();

 private:
  enum class Next { read, close };

  bool lmtp() const { return settings_.dialect == Dialect::lmtp; }
  Extensions extensions() const {
    return {.max_size = settings_.max_message,
            .eight_bit = info_.esmtp,
            .smtputf8 = info_.esmtp,
            .dsn = info_.esmtp};
  }

  awaitable<Next> dispatch(const CommandLine& command);
  awaitable<Next> hello(const CommandLine& command);
  awaitable<Next> mail(const CommandLine& command);
  awaitable<Next> rcpt(const CommandLine& command);
  awaitable<Next> data(const CommandLine& command);
  awaitable<Next> bdat(const CommandLine& command);
  awaitable<Next> starttls(const CommandLine& command);
  awaitable<Next> deliver();
  // Reads the DATA body into the transaction.
  enum class DataEnd { complete, too_large, no_space, lost };
  awaitable<DataEnd> read_data();

  // Queues a reply (sent when the client has nothing more pipelined, RFC 2920 §3.1); counts
  // errors and ends the session past the limit.
  Next reply(const Reply& r);
  awaitable<bool> pause_after_error();
  awaitable<bool> flush();
  void reset_transaction();
  bool in_transaction() const { return transaction_ != nullptr; }

  net::Connection connection_;
  const ServerSettings& settings_;
  Handler& handler_;
  net::LineReader reader_;
  SessionInfo info_;
  std::unique_ptr<Transaction> transaction_;
  std::string pending_;
  int errors_ = 0;
  int commands_without_mail_ = 0;
  int transactions_ = 0;
  bool bdat_failed_ = false;  // a BDAT of this transaction was refused: the rest are skipped
  bool delay_due_ = false;    // the last reply was an error past errors_before_delay
};

awaitable<metrics::ConnectionResult> Session::run() {
  // §4.3.1 greeting; RFC 2033 §4.1: an LMTP server says LMTP.
  pending_ = format({220, "", settings_.hostname + (lmtp() ? " LMTP" : " ESMTP") + " Tessera"});
  for (;;) {
    if (reader_.buffered() == 0 && !co_await flush())
      co_return metrics::ConnectionResult::peer_closed;
    auto line = co_await reader_.read_line();
    if (!line) {
      const auto& error = line.error();
      if (error.code == net::errc::line_too_long) {
        if (reply(replies::line_too_long()) == Next::close) break;
        continue;
      }
      if (error.code == net::errc::timeout) {
        // §4.5.3.2: the server may close after its timeout, with 421.
        pending_ += format({421, "4.4.2", settings_.hostname + " Error: timeout exceeded"});
        co_await flush();
      }
      reset_transaction();
      co_return result_of(error);
    }
    const auto command = split_command(*line);
    if (co_await dispatch(command) == Next::close) break;
    if (delay_due_ && !co_await pause_after_error())
      co_return metrics::ConnectionResult::peer_closed;
  }
  co_await flush();
  reset_transaction();
  co_await connection_.stream.shutdown(std::chrono::seconds(5));
  co_return metrics::ConnectionResult::completed;
}

awaitable<Session::Next> Session::dispatch(const CommandLine& command) {
  switch (command.verb) {
    case Verb::mail:
    case Verb::rcpt:
    case Verb::data:
    case Verb::bdat:
    case Verb::quit:
      break;
    default:
      if (++commands_without_mail_ > settings_.max_commands_without_mail) {
        pending_ += format({421, "4.7.0", settings_.hostname + " Error: too many commands"});
        co_return Next::close;
      }
  }
  switch (command.verb) {
    case Verb::helo:
    case Verb::ehlo:
    case Verb::lhlo:
      co_return co_await hello(command);
    case Verb::mail:
      co_return co_await mail(command);
    case Verb::rcpt:
      co_return co_await rcpt(command);
    case Verb::data:
      co_return co_await data(command);
    case Verb::bdat:
      co_return co_await bdat(command);
    case Verb::starttls:
      co_return co_await starttls(command);
    case Verb::rset:
      if (!command.args.empty()) co_return reply(replies::syntax_error("Syntax: RSET"));
      reset_transaction();
      co_return reply(replies::ok());
    case Verb::noop:
      co_return reply(replies::ok());
    case Verb::quit:
      pending_ += format({221, "2.0.0", "Bye"});
      co_return Next::close;
    case Verb::vrfy:
      // §3.5.3: 252 rather than confirming which users exist (§7.3).
      co_return reply({252, "2.5.0", "Cannot VRFY user; try RCPT to attempt delivery"});
    case Verb::expn:
      co_return reply({502, "5.5.1", "Error: EXPN not available"});
    case Verb::help:
      co_return reply({214, "2.0.0", "Commands: see RFC 5321"});
    case Verb::auth:
      co_return reply(replies::bad_sequence("Error: authentication not enabled"));
    case Verb::unknown:
      break;
  }
  co_return reply(replies::unrecognized());
}

// §4.1.1.1 EHLO/HELO, RFC 2033 §4.1 LHLO: a new greeting resets the session state (§4.1.4).
awaitable<Session::Next> Session::hello(const CommandLine& command) {
  if (lmtp() != (command.verb == Verb::lhlo)) {
    co_return reply(lmtp() ? Reply{500, "5.5.1", "Error: use LHLO in LMTP"}
                           : replies::unrecognized());
  }
  auto name = parse_hello(command.args);
  if (!name) co_return reply(reply_of(name.error()));
  reset_transaction();
  info_.helo = std::move(*name);
  info_.esmtp = command.verb != Verb::helo;
  if (!info_.esmtp) co_return reply({250, "", settings_.hostname});
  std::string text = settings_.hostname;
  text += "\nPIPELINING\nSIZE " + std::to_string(settings_.max_message);
  if (settings_.tls && !connection_.stream.is_tls()) text += "\nSTARTTLS";
  text += "\n8BITMIME\nSMTPUTF8\nCHUNKING\nENHANCEDSTATUSCODES\nDSN";
  co_return reply({250, "", text});
}

awaitable<Session::Next> Session::mail(const CommandLine& command) {
  if (info_.helo.empty())
    co_return reply(
        replies::bad_sequence(lmtp() ? "Error: send LHLO first" : "Error: send HELO/EHLO first"));
  if (in_transaction()) co_return reply(replies::bad_sequence("Error: nested MAIL"));
  auto parsed = parse_mail(command.args, extensions());
  if (!parsed) co_return reply(reply_of(parsed.error()));
  auto answer = co_await handler_.mail(info_, *parsed);
  if (answer.positive()) {
    transaction_ = std::make_unique<Transaction>(Transaction{
        .id = new_id(),
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

// RFC 3207 §4: after 220 the handshake; §4.2: everything known about the client is discarded,
// including commands it sent in the clear behind STARTTLS (CVE-2011-0411).
awaitable<Session::Next> Session::starttls(const CommandLine& command) {
  if (!settings_.tls) co_return reply({502, "5.5.1", "Error: STARTTLS not available"});
  if (connection_.stream.is_tls())
    co_return reply(replies::bad_sequence("Error: TLS already active"));
  if (!command.args.empty()) co_return reply(replies::syntax_error("Syntax: STARTTLS"));
  pending_ += format({220, "2.0.0", "Ready to start TLS"});
  if (!co_await flush()) co_return Next::close;
  if (const auto dropped = reader_.discard_buffer(); dropped > 0)
    spdlog::warn("smtp {}: dropped {} bytes sent in the clear after STARTTLS", info_.session_id,
                 dropped);
  auto handshake =
      co_await connection_.stream.handshake(settings_.tls->current(), std::chrono::seconds(30));
  if (!handshake) co_return Next::close;
  reset_transaction();
  info_.helo.clear();
  info_.esmtp = false;
  info_.tls = true;
  info_.tls_protocol = connection_.stream.tls_protocol();
  info_.tls_cipher = connection_.stream.tls_cipher();
  co_return Next::read;
}

Session::Next Session::reply(const Reply& r) {
  pending_ += format(r);
  if (r.code < 400) return Next::read;
  if (++errors_ >= settings_.max_errors) {
    pending_ += format({421, "4.7.0", settings_.hostname + " Error: too many errors"});
    return Next::close;
  }
  delay_due_ = errors_ > settings_.errors_before_delay;
  return Next::read;
}

// The tarpit of a client that keeps making errors: its replies come slower.
awaitable<bool> Session::pause_after_error() {
  delay_due_ = false;
  if (!co_await flush()) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(settings_.error_delay);
  co_await timer.async_wait(use_nothrow);
  co_return true;
}

awaitable<bool> Session::flush() {
  if (pending_.empty()) co_return true;
  auto written = co_await net::write_all(connection_.stream, pending_, settings_.command_timeout);
  pending_.clear();
  co_return written.has_value();
}

void Session::reset_transaction() {
  if (transaction_) handler_.reset();
  transaction_.reset();
  bdat_failed_ = false;
}

}  // namespace

awaitable<metrics::ConnectionResult> serve(net::Connection connection,
                                           const ServerSettings& settings, Handler& handler) {
  Session session(std::move(connection), settings, handler);
  co_return co_await session.run();
}

}  // namespace tessera::smtp
