// UTF-8 (RFC 3629) in one place: validation for names the store keeps, decoding for modified
// UTF-7 and charset repair, encoding of code points.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// Well-formed UTF-8: no overlong forms, surrogates or code points past U+10FFFF (RFC 3629 §4).
bool valid_utf8(std::string_view text);
// Code points of `text`; each byte that does not start a well-formed sequence becomes U+FFFD.
std::vector<char32_t> decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t code_point);

}  // namespace tessera
