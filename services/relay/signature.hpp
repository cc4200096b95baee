// RL-07: the mandatory signature some subscriptions append to all outgoing mail (marketing, a
// disclaimer), added by the relay so that mail from SMTP clients gets it as webmail mail does.
// The personal signature is the client's business and stays as it is.
//
// Pure (bytes in, bytes out), so it is unit-tested (a fuzz target is still to come). Where a
// reader sees it:
// - text/plain and text/html leaves get it at the end of their text (HTML before </body>), in
//   their own transfer encoding (7bit/8bit appended as is; quoted-printable and base64 decoded,
//   appended and encoded again, RFC 2045 §6.7 and §6.8);
// - multipart/alternative: every text alternative (RFC 2046 §5.1.4), so whichever the reader
//   shows has it; multipart/related: its root (RFC 2387 §3.2); multipart/mixed: its first part
//   when that is text, otherwise a new text part after the last one;
// - anything else — a signed or encrypted message (RFC 1847: changing a byte breaks the
//   signature), a lone attachment, text in a charset the signature cannot be written in — is
//   wrapped: a multipart/mixed whose first part is the original entity, untouched, and whose
//   second is the signature.
#pragma once

#include <string>
#include <string_view>

namespace tessera::relay {

struct MandatorySignature {
  std::string text;  // UTF-8, plain text; line ends as LF or CRLF
  std::string html;  // optional HTML fragment; empty = the text, escaped, in a <div>
  bool empty() const { return text.empty() && html.empty(); }
};

// `message` with `signature` added. `boundary` is used when a new multipart is made or a part
// is added (the caller makes it unique, e.g. random).
std::string add_signature(std::string_view message, const MandatorySignature& signature,
                          std::string_view boundary);

}  // namespace tessera::relay
