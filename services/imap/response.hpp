// Writing IMAP data (RFC 9051 §4.3): a string goes out as an atom-safe quoted string when it can,
// else as a literal; names in modified UTF-7 unless the client enabled UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace tessera::imap {

// quoted or literal form of `text`.
std::string imap_string(std::string_view text);
// astring form: the bare atom when that is unambiguous.
std::string imap_astring(std::string_view text);

}  // namespace tessera::imap
