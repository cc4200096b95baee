// SASL pieces every protocol's login needs (IMAP AUTHENTICATE, SMTP AUTH, POP3 AUTH): base64 of
// the exchange (RFC 4648 §4), the PLAIN message (RFC 4616) and the LOGIN mechanism's prompts
// (draft-murchison-sasl-login, what Outlook offers). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::net {

// nullopt unless `text` is canonical padded base64 of at most 16 KiB.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

// RFC 4616 §2: message = [authzid] NUL authcid NUL passwd.
struct PlainCredentials {
  std::string authzid;  // empty: act as authcid
  std::string authcid;  // the login
  std::string password;
};
std::optional<PlainCredentials> parse_plain(std::string_view message);

// The LOGIN mechanism's challenges, base64 of "Username:" and "Password:".
inline constexpr std::string_view kLoginUsernamePrompt = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordPrompt = "UGFzc3dvcmQ6";

}  // namespace tessera::net
