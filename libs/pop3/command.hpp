// POP3 commands (RFC 1939 §3, §5–§7; RFC 2449 CAPA; RFC 2595 STLS; RFC 5034 AUTH): a pure parser
// of one command line, fuzzed by tests/fuzz/pop3_command_fuzz.cpp. The keyword is
// case-insensitive and 3 or 4 characters; arguments are separated by spaces (runs of spaces are
// taken as one, as clients such as Outlook send them and Dovecot accepts); PASS takes the rest of
// the line as its one argument, spaces included (§7: "a POP3 server may treat spaces in the
// argument as part of the password"). Which commands a state allows is the session's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tessera::pop3 {

// RFC 2449 §4: a command line is at most 255 octets with its CRLF; RFC 5034 §4 lets AUTH with
// an initial response (and the SASL responses after it) be longer.
inline constexpr std::size_t kMaxCommandLine = 255;
inline constexpr std::size_t kMaxAuthLine = 8192;
// RFC 1939 §3 says "each argument may be up to 40 characters long", but logins are e-mail
// addresses, often longer, and AUTH's initial response is (RFC 5034 §4): like Dovecot, only the
// line length bounds arguments.

enum class Verb {
  user,
  pass,
  apop,
  auth,
  stls,
  capa,
  quit,  // AUTHORIZATION (and QUIT anywhere)
  stat,
  list,
  retr,
  dele,
  noop,
  rset,
  top,
  uidl,  // TRANSACTION
};

struct Command {
  Verb verb = Verb::noop;
  std::vector<std::string> args;  // 0..2
};

// One line without its CRLF. Errors (code "pop3.syntax", message = the -ERR text): an unknown
// keyword, a wrong number of arguments, a line over kMaxCommandLine, a control character.
Result<Command> parse_command(std::string_view line);

// A message number (RFC 1939 §5 "msg"): 1..4294967295 in decimal digits; nullopt otherwise.
std::optional<std::uint32_t> message_number(std::string_view text);
// TOP's line count: a non-negative number.
std::optional<std::uint32_t> line_count(std::string_view text);

}  // namespace tessera::pop3
