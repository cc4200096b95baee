// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463, RFC 2034): one value type
// for every reply the server engine, the services and the client engine exchange.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tessera::smtp {

struct Reply {
  int code = 0;          // 250, 354, 550, ...
  std::string enhanced;  // "2.1.5"; empty for replies that carry none (greeting, EHLO)
  std::string text;      // one line per '\n'

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
};

// The reply on the wire: every line but the last as "250-", the last as "250 " (§4.2.1), each
// with the enhanced code in front (RFC 2034 §4), CRLF-terminated.
std::string format(const Reply& reply);

// Replies used in more than one place, so their words stay the same everywhere.
namespace replies {
Reply ok();                                      // 250 2.0.0 Ok
Reply syntax_error(std::string_view text);       // 501 5.5.4
Reply bad_sequence(std::string_view text);       // 503 5.5.1
Reply unrecognized();                            // 500 5.5.2
Reply line_too_long();                           // 500 5.5.2
Reply temporary_failure(std::string_view text);  // 451 4.3.0
}  // namespace replies

}  // namespace tessera::smtp
