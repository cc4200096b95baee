// Header fields (RFC 5322 §2.2): finding the end of a header, unfolding, field lookup, and the
// structured values MIME adds (RFC 2045 §5.1 Content-Type parameters, RFC 2231 continuations).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/mime.hpp"

namespace tessera::mime::detail {

struct Field {
  std::string name;   // as written
  std::string value;  // unfolded (CRLF/LF before whitespace removed), leading space trimmed
};

// Where the header starting at `begin` ends: just after the empty line, or `end` if none.
std::size_t header_end(std::string_view raw, std::size_t begin, std::size_t end);
// The fields of a header block (bounded count; lines without a colon are skipped).
std::vector<Field> parse_fields(std::string_view block);
// The first field called `name` (case-insensitive); empty when absent.
std::string_view find(const std::vector<Field>& fields, std::string_view name);
// The value of a hexadecimal digit, -1 for any other character.
int hex_value(char c);
bool iequals(std::string_view a, std::string_view b);
std::string lower(std::string_view text);
std::string upper(std::string_view text);
std::string_view trim(std::string_view text);
// Removes RFC 5322 comments "(...)" (nested, with quoted-pairs) outside quoted strings.
std::string strip_comments(std::string_view text);
// "en, de-CH" → {"en", "de-CH"} (comments removed).
std::vector<std::string> split_list(std::string_view text);

// "type/subtype; a=b; c*=utf-8''x" → lower-case value before ';' and the decoded parameters.
struct Structured {
  std::string value;
  std::vector<Parameter> params;
};
Structured parse_structured(std::string_view text);

}  // namespace tessera::mime::detail
