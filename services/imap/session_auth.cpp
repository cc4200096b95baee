// Not-authenticated state: STARTTLS (RFC 9051 §6.2.1), LOGIN (§6.2.3), AUTHENTICATE PLAIN
// (§6.2.2, RFC 4616) and LOGIN (draft-murchison-sasl-login, what Outlook offers), SASL-IR (RFC
// 4959); COMPRESS=DEFLATE (RFC 4978), which like STARTTLS changes the stream. Passwords are checked
// by the store's Directory, which throttles and locks out; the session waits the delay the store
// asks for before answering.
#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "net/errors.hpp"
#include "net/sasl.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

// More failures than this on one connection end it (the store's delays do the rest).
constexpr int kMaxFailuresPerConnection = 3;

}  // namespace

awaitable<bool> Session::starttls(const Command& c) {
  if (connection_.stream.is_tls() || !settings_.tls)
    co_return co_await tagged(c, "BAD", "STARTTLS not available");
  if (!co_await tagged(c, "OK", "Begin TLS negotiation now")) co_return false;
  // Anything pipelined after STARTTLS arrived in plaintext and is thrown away, never executed
  // after the handshake (RFC 3207 §4.2, CVE-2011-0411).
  if (const auto dropped = reader_.discard_buffer(); dropped > 0) {
    spdlog::info("imap {}: dropped {} bytes pipelined after STARTTLS",
                 net::endpoint_string(connection_.client), dropped);
  }
  auto handshake =
      co_await connection_.stream.handshake(settings_.tls->current(), std::chrono::seconds(30));
  co_return handshake.has_value();
}

// RFC 4978 §3: the tagged OK goes out plain, then both directions are DEFLATE streams.
awaitable<bool> Session::compress(const Command& c, Reader& args) {
  auto mechanism = args.atom();
  if (!mechanism || !args.at_end()) co_return co_await tagged(c, "BAD", "COMPRESS needs DEFLATE");
  if (ascii_upper(*mechanism) != "DEFLATE")
    co_return co_await tagged(c, "BAD", "Unknown compression mechanism");
  if (connection_.stream.is_compressed())
    co_return co_await tagged(c, "NO", "[COMPRESSIONACTIVE] Already compressing");
  if (!co_await tagged(c, "OK", "DEFLATE active")) co_return false;
  // Nothing may follow COMPRESS before its OK; whatever did cannot be decoded.
  reader_.discard_buffer();
  auto started = connection_.stream.start_compression();
  if (!started)
    spdlog::warn("imap {}: {}", net::endpoint_string(connection_.client), started.error().message);
  co_return started.has_value();
}

awaitable<bool> Session::login(const Command& c, Reader& args) {
  if (!login_allowed())
    co_return co_await tagged(c, "NO", "[PRIVACYREQUIRED] Use STARTTLS or port 993 first");
  auto user = args.astring();
  if (!user || !args.sp())
    co_return co_await tagged(c, "BAD", "LOGIN needs a user name and a password");
  auto password = args.astring();
  if (!password || !args.at_end())
    co_return co_await tagged(c, "BAD", "LOGIN needs a user name and a password");
  co_return co_await check_credentials(c, *user, *password);
}

awaitable<bool> Session::authenticate(const Command& c, Reader& args) {
  auto mechanism = args.atom();
  if (!mechanism) co_return co_await tagged(c, "BAD", "AUTHENTICATE needs a mechanism");
  const auto name = ascii_upper(*mechanism);
  if (name != "PLAIN" && name != "LOGIN")
    co_return co_await tagged(c, "NO", "[CANNOT] Only PLAIN and LOGIN are supported");
  if (!login_allowed())
    co_return co_await tagged(c, "NO", "[PRIVACYREQUIRED] Use STARTTLS or port 993 first");
  std::optional<std::string> initial;
  if (args.try_char(' ')) initial = std::string(args.rest());  // SASL-IR (RFC 4959)
  if (name == "LOGIN") {
    // draft-murchison-sasl-login: "Username:" then "Password:", each answered in base64.
    auto user = co_await sasl_response(c, std::move(initial), net::kLoginUsernamePrompt);
    if (!user) co_return alive_;
    auto password = co_await sasl_response(c, std::nullopt, net::kLoginPasswordPrompt);
    if (!password) co_return alive_;
    co_return co_await check_credentials(c, *user, *password);
  }
  auto decoded = co_await sasl_response(c, std::move(initial), "");
  if (!decoded) co_return alive_;
  const auto plain = net::parse_plain(*decoded);  // RFC 4616
  if (!plain) co_return co_await tagged(c, "BAD", "Malformed PLAIN response");
  if (!plain->authzid.empty() && plain->authzid != plain->authcid)
    co_return co_await tagged(c, "NO",
                              "[AUTHORIZATIONFAILED] Acting as another user is not allowed");
  co_return co_await check_credentials(c, plain->authcid, plain->password);
}

awaitable<std::optional<std::string>> Session::sasl_response(const Command& c,
                                                             std::optional<std::string> initial,
                                                             std::string_view challenge) {
  std::string response;
  if (initial) {
    response = std::move(*initial);
  } else {
    if (!co_await send("+ " + std::string(challenge) + "\r\n")) {
      alive_ = false;
      co_return std::nullopt;
    }
    auto line = co_await reader_.read_line();
    if (!line) {
      alive_ = false;
      co_return std::nullopt;
    }
    response = std::move(*line);
  }
  // RFC 9051 §6.2.2: "*" cancels with BAD; "=" is an empty initial response (RFC 4959).
  std::string_view why;
  std::optional<std::string> decoded;
  if (response == "*")
    why = "Authentication cancelled";
  else if (decoded =
               response == "=" ? std::optional<std::string>("") : net::base64_decode(response);
           !decoded)
    why = "Response is not base64";
  if (decoded) co_return decoded;
  alive_ = co_await tagged(c, "BAD", why);
  co_return std::nullopt;
}

awaitable<bool> Session::check_credentials(const Command& c, const std::string& user,
                                           const std::string& password) {
  store::v1::AuthenticateRequest request;
  request.set_login(user);
  request.set_password(password);
  request.set_client_ip(connection_.client.address().to_string());
  request.set_protocol(store::v1::PROTOCOL_IMAP);
  auto reply = co_await rpc::unary(settings_.store->directory->async(),
                                   &store::v1::Directory::Stub::async::Authenticate, request,
                                   {.timeout = settings_.store_timeout});
  if (!reply) {
    spdlog::warn("imap {}: store unavailable for login: {}",
                 net::endpoint_string(connection_.client), reply.error().message);
    co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  }
  if (reply->delay_ms() > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(reply->delay_ms()));
    co_await timer.async_wait(use_nothrow);
  }
  switch (reply->result()) {
    case store::v1::AUTH_RESULT_OK:
      if (settings_.account_connections) {
        account_slot_ = settings_.account_connections->acquire(reply->account_id());
        if (!account_slot_)
          co_return co_await tagged(c, "NO", "[LIMIT] Too many connections for this account");
      }
      state_ = State::authenticated;
      account_id_ = reply->account_id();
      reader_.set_read_timeout(settings_.idle_timeout);
      co_return co_await tagged(c, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
    case store::v1::AUTH_RESULT_LOCKED_OUT:
      co_return co_await tagged(c, "NO", "[UNAVAILABLE] Too many failed logins; try again later");
    case store::v1::AUTH_RESULT_DISABLED:
      co_return co_await tagged(c, "NO", "[AUTHORIZATIONFAILED] Account disabled");
    case store::v1::AUTH_RESULT_PROTOCOL_DISABLED:  // IM-01; RFC 5530 §3: see the administrator
      co_return co_await tagged(c, "NO",
                                "[CONTACTADMIN] IMAP is not included in this account's "
                                "subscription");
    default:
      break;
  }
  if (++failed_logins_ >= kMaxFailuresPerConnection) {
    state_ = State::logout;
    co_return co_await send(c.tag + " NO [AUTHENTICATIONFAILED] Invalid credentials\r\n" +
                            "* BYE Too many failed logins\r\n");
  }
  co_return co_await tagged(c, "NO", "[AUTHENTICATIONFAILED] Invalid credentials");
}

}  // namespace tessera::imap
