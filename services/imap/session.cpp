#include "session.hpp"

#include <cctype>
#include <string>

#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "imap/literal.hpp"
#include "net/errors.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

metrics::ConnectionResult result_of(const Error& error) {
  if (error.code == net::errc::timeout) return metrics::ConnectionResult::timeout;
  if (error.code == net::errc::eof) return metrics::ConnectionResult::peer_closed;
  return metrics::ConnectionResult::error;
}

// Bound on the total size of one command with its literals (besides APPEND's message).
constexpr std::size_t kMaxCommandBytes = 1024 * 1024;

// Does the literal announced at the end of `wire` carry an APPEND message (RFC 9051 §6.3.12)?
// Yes when the command is APPEND and the mailbox name comes before the literal (a literal right
// after "APPEND " is the mailbox name itself, read like any other).
bool is_append_message(std::string_view wire) {
  const auto sp = wire.find(' ');
  if (sp == std::string_view::npos) return false;
  auto rest = wire.substr(sp + 1);
  if (rest.size() < 7 || ascii_upper(std::string(rest.substr(0, 7))) != "APPEND ") return false;
  rest.remove_prefix(7);
  return !rest.starts_with('{') && !rest.starts_with("~{");
}

}  // namespace

Session::Session(net::Connection connection, const SessionSettings& settings)
    : connection_(std::move(connection)),
      settings_(settings),
      reader_(connection_.stream,
              {.max_line_bytes = settings.max_line, .read_timeout = settings.login_timeout}),
      pace_(settings.commands_per_second, settings.command_burst) {}

awaitable<metrics::ConnectionResult> Session::run() {
  if (!co_await send("* OK [CAPABILITY " + capabilities() + "] Tessera IMAP ready\r\n"))
    co_return metrics::ConnectionResult::peer_closed;
  while (state_ != State::logout) {
    auto wire = co_await read_command();
    if (!wire) continue;  // answered already (e.g. TOOBIG)
    if (!*wire) {
      if (!co_await handle_read_error(wire->error())) co_return result_of(wire->error());
      continue;
    }
    Reader reader(**wire);
    Command command;
    auto tag = reader.tag();
    if (!tag) {
      if (!co_await send("* BAD Missing or invalid tag\r\n"))
        co_return metrics::ConnectionResult::error;
      continue;
    }
    command.tag = std::move(*tag);
    auto name =
        reader.sp() ? reader.atom() : Result<std::string>(reader.error("expected a command"));
    if (!name) {
      if (!co_await tagged(command, "BAD", "Missing command name"))
        co_return metrics::ConnectionResult::error;
      continue;
    }
    command.name = ascii_upper(std::move(*name));
    command.wire = std::move(**wire);
    command.args = reader.position();
    if (const auto wait = pace_.take(CommandPace::Clock::now()); wait > wait.zero()) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(wait);
      co_await timer.async_wait(use_nothrow);
    }
    if (!co_await dispatch(command)) co_return metrics::ConnectionResult::error;
    if (append_literal_ && !co_await skip_append_literal())
      co_return metrics::ConnectionResult::error;
  }
  co_await connection_.stream.shutdown(std::chrono::seconds(5));
  co_return metrics::ConnectionResult::completed;
}

// RFC 9051 §4.3 / RFC 7888: a line ending in {n} continues after n octets. A synchronising
// literal is accepted with "+" only after its size is checked, so an oversized one is refused
// before the client sends it.
awaitable<std::optional<Result<std::string>>> Session::read_command() {
  auto line = co_await reader_.read_line();
  if (!line) co_return std::optional<Result<std::string>>(line.error());
  std::string wire;
  for (;;) {
    const auto literal = trailing_literal(*line);
    wire += *line;
    if (!literal) break;
    if (is_append_message(wire)) {
      // APPEND's message is not read here: the APPEND handler streams it to the store.
      append_literal_ = literal;
      break;
    }
    const auto tag = line->substr(0, line->find(' '));
    if (literal->size > settings_.max_literal || wire.size() + literal->size > kMaxCommandBytes) {
      if (literal->synchronizing) {
        co_await send(tag + " BAD [TOOBIG] Literal too large\r\n");
        co_return std::nullopt;
      }
      // A non-synchronising literal is already on its way: RFC 7888 §4 lets us close.
      co_await send("* BYE [TOOBIG] Literal too large\r\n");
      state_ = State::logout;
      co_return std::nullopt;
    }
    if (literal->synchronizing && !co_await send("+ Ready for literal data\r\n"))
      co_return std::optional<Result<std::string>>(
          make_error(std::string(net::errc::eof), "peer gone"));
    auto data = co_await reader_.read_exact(literal->size, settings_.max_literal);
    if (!data) co_return std::optional<Result<std::string>>(data.error());
    wire += "\r\n";
    wire += *data;
    line = co_await reader_.read_line();
    if (!line) co_return std::optional<Result<std::string>>(line.error());
  }
  co_return std::optional<Result<std::string>>(std::move(wire));
}

awaitable<bool> Session::send(std::string_view text) {
  auto written = co_await net::write_all(connection_.stream, text);
  co_return written.has_value();
}

awaitable<bool> Session::tagged(const Command& c, std::string_view status, std::string_view text) {
  std::string line = c.tag;
  line += ' ';
  line += status;
  line += ' ';
  line += text;
  line += "\r\n";
  co_return co_await send(line);
}

bool Session::login_allowed() const {
  return connection_.stream.is_tls() || settings_.allow_plaintext_auth;
}

// RFC 5161. IMAP4rev2 (RFC 9051 §6.3.1) and UTF8=ACCEPT (RFC 6855) mean mailbox names travel
// as UTF-8; CONDSTORE and QRESYNC (RFC 7162 §3.1, §3.2.3; QRESYNC implies CONDSTORE). ENABLED
// names only what this command switched on; unknown capabilities are ignored.
awaitable<bool> Session::enable(const Command& c, Reader& args) {
  std::string enabled;
  while (!args.at_end()) {
    auto capability = args.atom();
    if (!capability) co_return co_await tagged(c, "BAD", "ENABLE needs capability names");
    const auto name = ascii_upper(*capability);
    if (name == "IMAP4REV2" && !rev2_) {
      rev2_ = utf8_ = true;
      enabled += " IMAP4rev2";
    } else if (name == "UTF8=ACCEPT" && !utf8_) {
      utf8_ = true;
      enabled += " UTF8=ACCEPT";
    } else if (name == "CONDSTORE" && !condstore_) {
      condstore_ = true;
      enabled += " CONDSTORE";
    } else if (name == "QRESYNC" && !qresync_) {
      qresync_ = condstore_ = true;
      enabled += " QRESYNC";
    }
    if (!args.at_end() && !args.sp())
      co_return co_await tagged(c, "BAD", "ENABLE needs capability names");
  }
  co_return co_await send("* ENABLED" + enabled + "\r\n" + c.tag + " OK ENABLE completed\r\n");
}

// RFC 9051 §7.2.2. STARTTLS only before TLS; LOGINDISABLED and no AUTH= while passwords would
// travel in clear (§6.2.3).
std::string Session::capabilities() const {
  std::string caps =
      "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE NAMESPACE UNSELECT "
      "UTF8=ACCEPT SPECIAL-USE IDLE UIDPLUS MOVE MULTIAPPEND ESEARCH SEARCHRES CONDSTORE QRESYNC "
      "SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES CHILDREN LIST-EXTENDED "
      "LIST-STATUS STATUS=SIZE QUOTA QUOTA=RES-STORAGE XLIST "
      "APPENDLIMIT=" +
      std::to_string(settings_.max_message);
  if (state_ != State::not_authenticated) caps += " COMPRESS=DEFLATE";
  if (state_ == State::not_authenticated) {
    if (!connection_.stream.is_tls() && settings_.tls) caps += " STARTTLS";
    caps += login_allowed() ? " AUTH=PLAIN AUTH=LOGIN" : " LOGINDISABLED";
  }
  return caps;
}

// Returns false when the connection must end.
awaitable<bool> Session::handle_read_error(const Error& error) {
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

awaitable<metrics::ConnectionResult> run_session(net::Connection connection,
                                                 const SessionSettings& settings) {
  Session session(std::move(connection), settings);
  co_return co_await session.run();
}

}  // namespace tessera::imap
