// Mailbox names in modified UTF-7 (RFC 3501 §5.1.3) for IMAP4rev1 clients that have not
// enabled UTF8=ACCEPT (RFC 6855) or IMAP4rev2; the store keeps names in UTF-8.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tessera::imap {

std::string utf8_to_mutf7(std::string_view utf8);
// Error "imap.bad_mutf7" for names that are not valid modified UTF-7 (BAD/NO per RFC 3501).
Result<std::string> mutf7_to_utf8(std::string_view mutf7);

}  // namespace tessera::imap
