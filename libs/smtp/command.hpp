// SMTP and LMTP command syntax (RFC 5321 §4.1, RFC 2033 §4.1), as pure functions over one
// command line without its CRLF. Errors are the reply the server should give: a parse failure
// carries its SMTP code, so the engine answers it as is (tests/fuzz/smtp_command_fuzz.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "smtp/reply.hpp"

namespace tessera::smtp {

enum class Verb {
  helo,
  ehlo,
  lhlo,
  mail,
  rcpt,
  data,
  bdat,
  rset,
  noop,
  quit,
  vrfy,
  expn,
  help,
  starttls,
  auth,
  unknown
};

struct CommandLine {
  Verb verb = Verb::unknown;
  std::string name;       // the verb as sent, upper case (for logs)
  std::string_view args;  // what follows the verb and its space, untrimmed
};

// Splits "MAIL FROM:<a@b> SIZE=10" into MAIL and "FROM:<a@b> SIZE=10". Verbs are
// case-insensitive (§2.4).
CommandLine split_command(std::string_view line);

// A mailbox of a path (§4.1.2): the local part without quotes when the quoting was not needed
// ("a.b"@x is a.b@x), else with them; the domain as written (a U-label under SMTPUTF8) or an
// address literal in brackets.
struct Mailbox {
  std::string local;
  std::string domain;
  bool utf8 = false;  // non-ASCII somewhere: needs SMTPUTF8 (RFC 6531 §3.4)
  std::string text() const { return local + "@" + domain; }
};

// A reverse- or forward-path. The null reverse-path <> (§4.5.5: bounces) has no mailbox.
struct Path {
  std::optional<Mailbox> mailbox;
  std::string text() const { return mailbox ? mailbox->text() : std::string(); }
};

enum class Body { unspecified, seven_bit, eight_bit_mime, binary_mime };
enum class DsnReturn { unspecified, full, headers };  // RFC 3461 §4.3 RET

struct MailFrom {
  Path path;
  std::optional<std::uint64_t> size;  // RFC 1870 SIZE
  Body body = Body::unspecified;      // RFC 6152 BODY
  bool smtputf8 = false;              // RFC 6531 §3.4
  DsnReturn ret = DsnReturn::unspecified;
  std::string envid;  // RFC 3461 §4.4 ENVID, xtext decoded
  std::string auth;   // RFC 4954 §5 AUTH=, xtext decoded ("<>" when the submitter is unknown)
};

// RFC 3461 §4.1 NOTIFY as bits; none set = not given (the MTA's default).
enum Notify : unsigned {
  notify_never = 1,
  notify_success = 2,
  notify_failure = 4,
  notify_delay = 8
};

struct RcptTo {
  Path path;                // never null
  bool postmaster = false;  // "<Postmaster>" without a domain (§4.1.1.3)
  unsigned notify = 0;
  std::string orcpt_type;  // RFC 3461 §4.2 ORCPT addr-type, e.g. "rfc822"
  std::string orcpt;       // its xtext-decoded address
};

struct Bdat {
  std::uint64_t size = 0;
  bool last = false;
};

// Which parameters the server offers (only those are accepted; others get 555).
struct Extensions {
  std::uint64_t max_size = 0;  // SIZE limit
  bool eight_bit = true;
  bool smtputf8 = true;
  bool dsn = true;
  bool auth = false;  // AUTH= on MAIL (RFC 4954 §5), where AUTH is offered
};

// MAIL FROM:<path> [params] (§4.1.1.2; "FROM:" may be followed by spaces, as many clients send).
// Errors: 501 5.1.7 for the address, 555 5.5.4 for an unknown parameter, 501 5.5.4 for a bad
// value, 552 5.3.4 for SIZE over the limit (RFC 1870 §6.1).
Result<MailFrom> parse_mail(std::string_view args, const Extensions& extensions);
// RCPT TO:<path> [params] (§4.1.1.3). Errors: 501 5.1.3 for the address, 555/501 as above.
Result<RcptTo> parse_rcpt(std::string_view args, const Extensions& extensions);
// BDAT chunk-size [LAST] (RFC 3030 §2). Error: 501 5.5.4.
Result<Bdat> parse_bdat(std::string_view args);
// EHLO/HELO/LHLO argument: a domain or address literal; returns it. Error: 501 5.5.4.
Result<std::string> parse_hello(std::string_view args);

// A path alone: "<a@b>", "<>", "<@relay:a@b>" (source route, ignored per §4.1.1.3 / §C),
// with the length limits of §4.5.3.1. `allow_utf8` per SMTPUTF8.
std::optional<Path> parse_path(std::string_view text, bool allow_utf8);
// RFC 3461 §4 xtext ("+2B" for '+'); nullopt when malformed.
std::optional<std::string> decode_xtext(std::string_view text);
std::string encode_xtext(std::string_view text);

// The error value a parse failure carries: code "smtp.reply", message = the formatted reply.
Error reply_error(const Reply& reply);
// Back from such an error to the reply.
Reply reply_of(const Error& error);

}  // namespace tessera::smtp
