#include "session.hpp"

#include <string>

#include <spdlog/spdlog.h>

#include "command.hpp"
#include "net/errors.hpp"
#include "net/line_reader.hpp"

namespace tessera::imap {
namespace {

class Session {
 public:
  Session(net::Connection connection, const SessionSettings& settings)
      : connection_(std::move(connection)),
        settings_(settings),
        reader_(connection_.stream,
                {.max_line_bytes = settings.max_line, .read_timeout = settings.login_timeout}) {}

  awaitable<metrics::ConnectionResult> run() {
    if (!co_await send("* OK [CAPABILITY " + capabilities() + "] Tessera IMAP ready\r\n")) {
      co_return metrics::ConnectionResult::peer_closed;
    }
    while (!done_) {
      auto line = co_await reader_.read_line();
      if (!line) {
        if (!co_await handle_read_error(line.error())) co_return result_of(line.error());
        continue;
      }
      if (!co_await handle_line(*line)) co_return metrics::ConnectionResult::error;
    }
    co_await connection_.stream.shutdown(std::chrono::seconds(5));
    co_return metrics::ConnectionResult::completed;
  }

 private:
  // RFC 9051 §7.2.2. STARTTLS only before TLS; LOGINDISABLED because no login is possible yet
  // (§6.2.3), which also keeps clients from sending passwords.
  std::string capabilities() const {
    std::string caps = "IMAP4rev1 IMAP4rev2";
    if (!connection_.stream.is_tls() && settings_.tls) caps += " STARTTLS";
    return caps + " LOGINDISABLED";
  }

  static metrics::ConnectionResult result_of(const Error& error) {
    if (error.code == net::errc::timeout) return metrics::ConnectionResult::timeout;
    if (error.code == net::errc::eof) return metrics::ConnectionResult::peer_closed;
    return metrics::ConnectionResult::error;
  }

  awaitable<bool> send(std::string_view text) {
    auto written = co_await net::write_all(connection_.stream, text);
    co_return written.has_value();
  }

  // Returns false when the connection must end.
  awaitable<bool> handle_read_error(const Error& error) {
    if (error.code == net::errc::line_too_long) {
      // RFC 9051 §7.1: TOOBIG; the reader has skipped the rest of the line.
      co_return co_await send("* BAD [TOOBIG] Command line too long\r\n");
    }
    if (error.code == net::errc::timeout) {
      co_await send("* BYE Autologout; idle for too long\r\n");  // RFC 9051 §5.4
    }
    spdlog::debug("imap {}: {}", net::endpoint_string(connection_.client), error.message);
    co_return false;
  }

  awaitable<bool> handle_line(const std::string& line) {
    auto command = parse_command_line(line);
    if (!command) {
      const bool tagged = command.error().code != "imap.no_tag";
      const std::string tag = tagged ? line.substr(0, line.find(' ')) : "*";
      co_return co_await send(tag + " BAD " + command.error().message + "\r\n");
    }
    const auto& c = *command;
    if (c.name == "CAPABILITY") {
      co_return co_await send("* CAPABILITY " + capabilities() + "\r\n" + c.tag +
                              " OK CAPABILITY completed\r\n");
    }
    if (c.name == "NOOP") co_return co_await send(c.tag + " OK NOOP completed\r\n");
    if (c.name == "LOGOUT") {
      done_ = true;  // RFC 9051 §6.1.3: BYE, then the tagged OK, then close
      co_return co_await send("* BYE Tessera IMAP logging out\r\n" + c.tag +
                              " OK LOGOUT completed\r\n");
    }
    if (c.name == "STARTTLS") co_return co_await handle_starttls(c.tag);
    if (c.name == "LOGIN" || c.name == "AUTHENTICATE") {
      co_return co_await send(c.tag + " NO [UNAVAILABLE] Authentication is not available yet\r\n");
    }
    co_return co_await send(c.tag + " BAD Unknown command or not valid before login\r\n");
  }

  // RFC 9051 §6.2.1. Anything the client pipelined after STARTTLS arrived in plaintext and is
  // thrown away, never executed after the handshake (RFC 3207 §4.2, CVE-2011-0411).
  awaitable<bool> handle_starttls(const std::string& tag) {
    if (connection_.stream.is_tls() || !settings_.tls) {
      co_return co_await send(tag + " BAD STARTTLS not available\r\n");
    }
    if (!co_await send(tag + " OK Begin TLS negotiation now\r\n")) co_return false;
    if (const auto dropped = reader_.discard_buffer(); dropped > 0) {
      spdlog::info("imap {}: dropped {} bytes pipelined after STARTTLS",
                   net::endpoint_string(connection_.client), dropped);
    }
    auto handshake =
        co_await connection_.stream.handshake(settings_.tls->current(), std::chrono::seconds(30));
    co_return handshake.has_value();
  }

  net::Connection connection_;
  const SessionSettings& settings_;
  net::LineReader reader_;
  bool done_ = false;
};

}  // namespace

awaitable<metrics::ConnectionResult> run_session(net::Connection connection,
                                                 const SessionSettings& settings) {
  Session session(std::move(connection), settings);
  co_return co_await session.run();
}

}  // namespace tessera::imap
