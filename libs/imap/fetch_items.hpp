// FETCH data items (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ): what to return for each
// message, parsed from a macro (ALL, FAST, FULL), one item, or a parenthesised list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "imap/reader.hpp"

namespace tessera::imap {

enum class FetchKind {
  envelope,
  flags,
  internal_date,
  rfc822,         // = BODY[] (sets \Seen)
  rfc822_header,  // = BODY.PEEK[HEADER]
  rfc822_size,
  rfc822_text,  // = BODY[TEXT] (sets \Seen)
  body,         // BODYSTRUCTURE without extension data
  body_structure,
  uid,
  modseq,
  body_section,  // BODY[section]<partial>, BODY.PEEK[...]
  binary,        // BINARY[part]<partial>, BINARY.PEEK[...]
  binary_size,   // BINARY.SIZE[part]
};

struct Section {
  enum class Text { none, header, header_fields, header_fields_not, text, mime };
  std::vector<std::uint32_t> part;  // "1.2" → {1, 2}; empty = the whole message
  Text text = Text::none;
  std::vector<std::string> fields;  // HEADER.FIELDS (...) names, upper-cased
};

struct FetchItem {
  FetchKind kind;
  bool peek = false;  // .PEEK: do not set \Seen
  Section section;
  std::optional<std::pair<std::uint32_t, std::uint32_t>> partial;  // <offset.length>
  // The name to echo in the response, e.g. "BODY[1.2]<0>" (RFC 9051 §7.5.2: partial shows
  // only the origin octet).
  std::string response_name() const;
};

Result<std::vector<FetchItem>> parse_fetch_items(Reader& reader);

}  // namespace tessera::imap
