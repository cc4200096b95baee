// AUTHORIZATION state: STLS (RFC 2595 §4), USER/PASS (RFC 1939 §7), AUTH PLAIN and LOGIN
// (RFC 5034, RFC 4616). Passwords are checked by the store's Directory, which throttles and
// locks out; the session waits the delay the store asks for before it answers (RFC 2449's
// [LOGIN-DELAY] is not sent: the delay is the store's, per address and account).
#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "net/errors.hpp"
#include "net/sasl.hpp"
#include "pop3/response.hpp"
#include "rpc/client.hpp"
#include "session.hpp"

namespace tessera::pop3d {
namespace {

// More failures than this on one connection end it (the store's delays do the rest).
constexpr int kMaxFailuresPerConnection = 3;
constexpr const char* kNeedTls = "Use STLS or port 995 first";

}  // namespace

awaitable<bool> Session::stls() {
  if (connection_.stream.is_tls() || !settings_.tls)
    co_return co_await send(pop3::err("STLS not available"));
  if (!co_await send(pop3::ok("Begin TLS negotiation"))) co_return false;
  // Whatever was pipelined after STLS came in plaintext: thrown away, never run after the
  // handshake (RFC 2595 §4, the CVE-2011-0411 pattern).
  if (const auto dropped = reader_.discard_buffer(); dropped > 0)
    spdlog::info("pop3 {}: dropped {} bytes pipelined after STLS",
                 net::endpoint_string(connection_.client), dropped);
  auto handshake =
      co_await connection_.stream.handshake(settings_.tls->current(), std::chrono::seconds(30));
  co_return handshake.has_value();
}

awaitable<bool> Session::user(const pop3::Command& c) {
  if (!auth_allowed()) co_return co_await send(pop3::err(kNeedTls, "AUTH"));
  user_ = c.args[0];
  co_return co_await send(pop3::ok("Send PASS"));
}

awaitable<bool> Session::pass(const pop3::Command& c) {
  if (!auth_allowed()) co_return co_await send(pop3::err(kNeedTls, "AUTH"));
  if (user_.empty()) co_return co_await send(pop3::err("USER first"));
  const auto user = std::exchange(user_, std::string());
  co_return co_await login(user, c.args[0]);
}

awaitable<std::optional<std::string>> Session::sasl_response(std::optional<std::string> initial,
                                                             std::string_view challenge) {
  std::string response;
  if (initial) {
    response = std::move(*initial);
  } else {
    if (!co_await send("+ " + std::string(challenge) + "\r\n")) co_return std::nullopt;
    auto line = co_await reader_.read_line();
    if (!line) {  // as the command loop does: a long line is answered, anything else ends it
      if (line.error().code == net::errc::line_too_long) {
        (void)co_await send(pop3::err("Line too long"));
      } else {
        if (line.error().code == net::errc::timeout)
          (void)co_await send(pop3::err("Idle for too long, closing"));
        state_ = State::closed;
      }
      co_return std::nullopt;
    }
    response = std::move(*line);
  }
  // RFC 5034 §4: "*" cancels; "=" is an empty initial response.
  if (response == "*") {
    (void)co_await send(pop3::err("Authentication cancelled"));
    co_return std::nullopt;
  }
  auto decoded = response == "=" ? std::optional<std::string>("") : net::base64_decode(response);
  if (!decoded) (void)co_await send(pop3::err("Response is not base64"));
  co_return decoded;
}

awaitable<bool> Session::auth(const pop3::Command& c) {
  if (c.args.empty()) {  // the mechanisms, as CAPA's SASL line lists them (Thunderbird asks)
    if (!auth_allowed()) co_return co_await send(pop3::err(kNeedTls, "AUTH"));
    co_return co_await send("+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
  }
  const auto mechanism = ascii_upper(c.args[0]);
  if (mechanism != "PLAIN" && mechanism != "LOGIN")
    co_return co_await send(pop3::err("Only PLAIN and LOGIN are supported"));
  if (!auth_allowed()) co_return co_await send(pop3::err(kNeedTls, "AUTH"));
  std::optional<std::string> initial;
  if (c.args.size() == 2) initial = c.args[1];
  if (mechanism == "LOGIN") {
    auto user = co_await sasl_response(std::move(initial), net::kLoginUsernamePrompt);
    if (!user) co_return true;
    auto password = co_await sasl_response(std::nullopt, net::kLoginPasswordPrompt);
    if (!password) co_return true;
    co_return co_await login(*user, *password);
  }
  auto decoded = co_await sasl_response(std::move(initial), "");
  if (!decoded) co_return true;
  const auto plain = net::parse_plain(*decoded);  // RFC 4616
  if (!plain) co_return co_await send(pop3::err("Malformed PLAIN response"));
  if (!plain->authzid.empty() && plain->authzid != plain->authcid)
    co_return co_await send(pop3::err("Acting as another user is not allowed", "AUTH"));
  co_return co_await login(plain->authcid, plain->password);
}

awaitable<bool> Session::login(const std::string& user, const std::string& password) {
  store::v1::AuthenticateRequest request;
  request.set_login(user);
  request.set_password(password);
  request.set_client_ip(connection_.client.address().to_string());
  request.set_protocol(store::v1::PROTOCOL_POP3);
  const auto options = store_call(settings_);
  auto reply = co_await rpc::unary(settings_.store->directory->async(),
                                   &store::v1::Directory::Stub::async::Authenticate,
                                   std::move(request), options);
  if (!reply) {
    spdlog::warn("pop3 {}: store unavailable for login: {}",
                 net::endpoint_string(connection_.client), reply.error().message);
    co_return co_await send(pop3::err("Try again later", "SYS/TEMP"));
  }
  if (reply->delay_ms() > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(reply->delay_ms()));
    co_await timer.async_wait(use_nothrow);
  }
  if (reply->result() == store::v1::AUTH_RESULT_OK) {
    if (!co_await lock_maildrop(reply->account_id())) co_return state_ != State::closed;
    auto maildrop = co_await open_maildrop(settings_, reply->account_id());
    if (!maildrop) {
      spdlog::warn("pop3 {}: maildrop of {}: {}", net::endpoint_string(connection_.client), user,
                   maildrop.error().message);
      co_await release();  // still AUTHORIZATION: the client may try again, here or elsewhere
      co_return co_await send(pop3::err("Maildrop not available, try again later", "SYS/TEMP"));
    }
    maildrop_ = std::move(*maildrop);
    state_ = State::transaction;
    reader_.set_read_timeout(settings_.idle_timeout);
    co_return co_await send(
        pop3::ok("Logged in, " + std::to_string(maildrop_->count()) + " messages"));
  }
  if (reply->result() == store::v1::AUTH_RESULT_LOCKED_OUT)
    co_return co_await send(pop3::err("Too many failed logins; try again later", "LOGIN-DELAY"));
  if (reply->result() == store::v1::AUTH_RESULT_PROTOCOL_DISABLED)  // P3-01: RFC 3206 §4
    co_return co_await send(
        pop3::err("POP3 is not included in this account's subscription", "SYS/PERM"));
  if (reply->result() == store::v1::AUTH_RESULT_DISABLED)
    co_return co_await send(pop3::err("Account disabled", "AUTH"));
  if (++failed_logins_ >= kMaxFailuresPerConnection) {
    state_ = State::closed;
    co_return co_await send(pop3::err("Invalid credentials; too many failures, closing", "AUTH"));
  }
  co_return co_await send(pop3::err("Invalid credentials", "AUTH"));
}

}  // namespace tessera::pop3d
