// The text tests of SEARCH (RFC 9051 §6.4.4): substring matches that ignore case, on header
// values with RFC 2047 words decoded and on message text with transfer encodings undone and
// charsets converted to UTF-8, as users expect when they search for a word they can read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::imap {

// Case-insensitive substring test (ASCII letters folded; other UTF-8 compared as is).
bool contains_text(std::string_view haystack, std::string_view needle);
// A field called `field` (any case) of the header block whose decoded value contains `text`;
// an empty `text` matches any such field (RFC 9051 §6.4.4 HEADER).
bool header_matches(std::string_view header, std::string_view field, std::string_view text);
// The header's fields as "Name: decoded value" lines (TEXT searches these and the body).
std::string searchable_header(std::string_view header);
// What BODY searches: the decoded text of the message's text parts (UTF-8), each on its own.
std::string searchable_body(std::string_view raw);
// The calendar day written in a Date header ("Thu, 15 Feb 2007 01:02:03 +0200" → that day,
// zone disregarded as SENTON requires); nullopt when there is none.
std::optional<std::int64_t> sent_day(std::string_view date);

}  // namespace tessera::imap
