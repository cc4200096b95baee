// Literal framing (RFC 9051 §4.3, RFC 7888 LITERAL+/LITERAL-): a command line that ends in
// "{n}" or "{n+}" continues with n octets and then more of the command. The session asks this
// before reading on, so it can refuse an oversized literal before any of it arrives
// ([TOOBIG] / APPENDLIMIT) and send "+ " only for synchronising literals.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::imap {

struct LiteralHeader {
  std::uint64_t size = 0;
  bool synchronizing = true;  // "{n}": the client waits for "+ ..."; "{n+}": it does not
  bool binary = false;        // "~{n}": literal8 (RFC 3516)
};

// The literal announced at the end of `line` (without its CRLF), if any. A malformed or
// absurdly long count (over 20 digits) is not a literal header.
std::optional<LiteralHeader> trailing_literal(std::string_view line);

}  // namespace tessera::imap
