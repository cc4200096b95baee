// STARTTLS (RFC 3207) and AUTH (RFC 4954): what changes who the session talks to.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "net/errors.hpp"
#include "net/sasl.hpp"
#include "smtp/server_session.hpp"

namespace tessera::smtp::detail {

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
// RFC 4954 §4: AUTH mechanism [initial-response], then 334 challenges until the credentials are
// complete. Only between transactions, once per session, and only what the handler offers.
awaitable<Session::Next> Session::auth(const CommandLine& command) {
  const auto offered = handler_.auth_mechanisms(info_);
  if (offered.empty() || !info_.esmtp)
    co_return reply(replies::bad_sequence("Error: authentication not enabled"));
  if (settings_.auth_needs_tls && !info_.tls)
    co_return reply({538, "5.7.11", "Encryption required for requested authentication mechanism"});
  if (!info_.authenticated.empty())
    co_return reply(replies::bad_sequence("Error: already authenticated"));
  if (in_transaction())
    co_return reply(replies::bad_sequence("Error: AUTH not allowed in a mail transaction"));
  const auto sp = command.args.find(' ');
  const auto mechanism = ascii_upper(command.args.substr(0, sp));
  std::optional<std::string_view> initial;
  if (sp != std::string_view::npos) initial = command.args.substr(sp + 1);
  if (std::find(offered.begin(), offered.end(), mechanism) == offered.end())
    co_return reply({504, "5.5.4", "Unrecognized authentication type"});
  Next next = Next::read;
  std::string login;
  std::string password;
  if (mechanism == "LOGIN") {
    auto user = co_await sasl_response(initial, net::kLoginUsernamePrompt, next);
    if (!user) co_return next;
    auto pass = co_await sasl_response(std::nullopt, net::kLoginPasswordPrompt, next);
    if (!pass) co_return next;
    login = std::move(*user);
    password = std::move(*pass);
  } else {
    auto message = co_await sasl_response(initial, "", next);
    if (!message) co_return next;
    auto plain = net::parse_plain(*message);  // RFC 4616
    if (!plain) co_return reply({501, "5.5.2", "Malformed PLAIN response"});
    if (!plain->authzid.empty() && plain->authzid != plain->authcid)
      co_return reply({535, "5.7.8", "Acting as another user is not allowed"});
    login = std::move(plain->authcid);
    password = std::move(plain->password);
  }
  const auto answer = co_await handler_.authenticate(info_, login, password);
  if (answer.code == 235) info_.authenticated = login;
  co_return reply(answer);
}

awaitable<std::optional<std::string>> Session::sasl_response(
    std::optional<std::string_view> initial, std::string_view challenge, Next& next) {
  std::string response;
  if (initial) {
    response = std::string(*initial);
  } else {
    pending_ += "334 " + std::string(challenge) + "\r\n";
    if (!co_await flush()) {
      next = Next::close;
      co_return std::nullopt;
    }
    auto line = co_await reader_.read_line();
    if (!line) {
      next = line.error().code == net::errc::line_too_long
                 ? reply({500, "5.5.6", "Authentication exchange line is too long"})
                 : Next::close;
      co_return std::nullopt;
    }
    response = std::move(*line);
  }
  if (response == "*") {  // the client cancels (§4)
    next = reply({501, "5.0.0", "Authentication cancelled"});
    co_return std::nullopt;
  }
  // "=" is an empty initial response (§4).
  auto decoded = response == "=" ? std::optional<std::string>("") : net::base64_decode(response);
  if (!decoded) next = reply({501, "5.5.2", "Cannot decode the response"});
  co_return decoded;
}

}  // namespace tessera::smtp::detail
