// IMAP command line framing for the service skeleton: tag, command name, the rest.
// Pure: bytes in, typed command or precise error out (style.md §5). The full IMAP4rev2 grammar
// (literals, sequence sets, FETCH items) replaces this in libs/imap.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tessera::imap {

struct CommandLine {
  std::string tag;        // RFC 9051 §2.2.1: echoed in the tagged completion
  std::string name;       // upper-cased command name, e.g. "CAPABILITY"
  std::string arguments;  // everything after the name and one SP, unparsed
};

// Splits "tag SP name [SP arguments]". On error, `Error::message` is the text for a BAD reply
// and `Error::code` is "imap.no_tag" (answer untagged `* BAD`) or "imap.bad_command".
Result<CommandLine> parse_command_line(std::string_view line);

// RFC 9051 §9 (Formal Syntax): tag = 1*<any ASTRING-CHAR except "+">.
bool is_tag_char(char c);

}  // namespace tessera::imap
