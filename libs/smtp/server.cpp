#include "smtp/server.hpp"

#include <spdlog/spdlog.h>

#include "crypto/random.hpp"
#include "net/errors.hpp"
#include "smtp/server_session.hpp"

namespace tessera::smtp {

std::string new_transaction_id() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const auto raw = crypto::random_token(14);
  std::string out;
  for (char c : raw)
    out.push_back(kAlphabet[static_cast<unsigned char>(c) % 36]);
  return out.substr(0, 14);
}

}  // namespace tessera::smtp

namespace tessera::smtp::detail {
namespace {

metrics::ConnectionResult result_of(const Error& error) {
  if (error.code == net::errc::timeout) return metrics::ConnectionResult::timeout;
  if (error.code == net::errc::eof) return metrics::ConnectionResult::peer_closed;
  return metrics::ConnectionResult::error;
}

}  // namespace

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
      co_return co_await auth(command);
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
  if (const auto mechanisms = handler_.auth_mechanisms(info_);
      !mechanisms.empty() && (!settings_.auth_needs_tls || info_.tls)) {
    text += "\nAUTH";  // RFC 4954 §3
    for (const auto& m : mechanisms)
      text += " " + m;
  }
  co_return reply({250, "", text});
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

}  // namespace tessera::smtp::detail

namespace tessera::smtp {

std::vector<std::string> Handler::auth_mechanisms(const SessionInfo&) {
  return {};
}

awaitable<Reply> Handler::authenticate(const SessionInfo&, const std::string&, const std::string&) {
  co_return Reply{535, "5.7.8", "Authentication credentials invalid"};
}

awaitable<metrics::ConnectionResult> serve(net::Connection connection,
                                           const ServerSettings& settings, Handler& handler) {
  detail::Session session(std::move(connection), settings, handler);
  co_return co_await session.run();
}

}  // namespace tessera::smtp
