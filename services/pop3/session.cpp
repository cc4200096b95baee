#include "session.hpp"

#include <spdlog/spdlog.h>

#include "net/errors.hpp"
#include "pop3/response.hpp"

namespace tessera::pop3d {

awaitable<metrics::ConnectionResult> run_session(net::Connection connection,
                                                 const Settings& settings) {
  Session session(std::move(connection), settings);
  const auto result = co_await session.run();
  co_await session.release();
  co_return result;
}

Session::Session(net::Connection connection, const Settings& settings)
    : connection_(std::move(connection)),
      settings_(settings),
      reader_(connection_.stream,
              {.max_line_bytes = pop3::kMaxAuthLine, .read_timeout = settings.login_timeout}) {}

// RFC 2449 §6: what CAPA lists, in the state it is asked in.
std::string Session::capabilities() const {
  std::string out = "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\n";
  if (state_ == State::authorization) {
    if (auth_allowed()) out += "USER\r\nSASL PLAIN LOGIN\r\n";
    if (!connection_.stream.is_tls() && settings_.tls) out += "STLS\r\n";
  }
  return out + "IMPLEMENTATION Tessera\r\n";
}

awaitable<bool> Session::send(std::string_view text) {
  auto written = co_await net::write_all(connection_.stream, text);
  co_return written.has_value();
}

awaitable<metrics::ConnectionResult> Session::run() {
  if (!co_await send(pop3::ok("Tessera POP3 ready")))
    co_return metrics::ConnectionResult::peer_closed;
  while (state_ != State::closed) {
    auto line = co_await reader_.read_line();
    if (!line) {
      // A dropped or idle connection ends without UPDATE: nothing is deleted (RFC 1939 §6).
      if (line.error().code == net::errc::timeout) {
        (void)co_await send(pop3::err("Idle for too long, closing"));
        co_return metrics::ConnectionResult::timeout;
      }
      if (line.error().code == net::errc::line_too_long) {
        if (!co_await send(pop3::err("Line too long"))) co_return metrics::ConnectionResult::error;
        continue;
      }
      co_return line.error().code == net::errc::eof ? metrics::ConnectionResult::peer_closed
                                                    : metrics::ConnectionResult::error;
    }
    auto command = pop3::parse_command(*line);
    if (!command) {
      if (!co_await send(pop3::err(command.error().message)))
        co_return metrics::ConnectionResult::error;
      continue;
    }
    if (!co_await dispatch(*command)) co_return metrics::ConnectionResult::error;
  }
  co_return metrics::ConnectionResult::completed;
}

awaitable<bool> Session::dispatch(const pop3::Command& c) {
  using pop3::Verb;
  if (c.verb == Verb::capa)
    co_return co_await send("+OK Capability list follows\r\n" + capabilities() + ".\r\n");
  if (c.verb == Verb::quit) co_return co_await quit();
  if (state_ == State::transaction) co_return co_await transaction(c);
  switch (c.verb) {
    case Verb::stls:
      co_return co_await stls();
    case Verb::user:
      co_return co_await user(c);
    case Verb::pass:
      co_return co_await pass(c);
    case Verb::auth:
      co_return co_await auth(c);
    case Verb::apop:
      co_return co_await send(pop3::err("APOP is not supported; use USER/PASS"));
    case Verb::noop:
      co_return co_await send(pop3::ok());  // harmless before login too
    default:
      co_return co_await send(pop3::err("Log in first"));
  }
}

}  // namespace tessera::pop3d
