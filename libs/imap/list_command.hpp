// LIST's arguments with the extensions of RFC 5258 (LIST-EXTENDED: selection options, several
// patterns, return options), RFC 6154 (SPECIAL-USE) and RFC 5819 (LIST-STATUS), and STATUS's
// item list (RFC 9051 §6.3.11, SIZE of RFC 8438, DELETED-STORAGE of RFC 9208 §4.4). Pure, fuzzed
// with the other IMAP syntax.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "imap/reader.hpp"

namespace tessera::imap {

struct ListCommand {
  // Selection options (RFC 5258 §3.1, RFC 6154 §3).
  bool select_subscribed = false;
  bool remote = false;  // accepted; there are no remote mailboxes
  bool recursive_match = false;
  bool select_special_use = false;
  std::string reference;
  std::vector<std::string> patterns;  // as sent (modified UTF-7 or UTF-8)
  // Return options (RFC 5258 §3.2, RFC 6154 §5, RFC 5819 §2).
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  std::vector<std::string> return_status;  // upper-case STATUS items; empty = none asked
  bool extended = false;                   // selection options, a pattern list or RETURN were used
};

// After "LIST ": [ "(" selection-options ")" SP ] reference SP (pattern / "(" patterns ")")
// [SP "RETURN" SP "(" return-options ")"]. RECURSIVEMATCH alone (or with only REMOTE) is an
// error (RFC 5258 §3.1).
Result<ListCommand> parse_list(Reader& reader);

// "(" status-att *(SP status-att) ")": MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE
// HIGHESTMODSEQ DELETED-STORAGE, returned upper case in the order given.
Result<std::vector<std::string>> parse_status_items(Reader& reader);

}  // namespace tessera::imap
