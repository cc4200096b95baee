// The DATA body (RFC 5321 §4.5.2 transparency, §2.3.8 line ends), as a pure byte-wise decoder:
// it removes the dot each line starts with, stores lines with CRLF, and finds the end of data.
//
// Only the standard end sequence <CRLF>.<CRLF> ends the data. A bare LF ends a line (many
// programs send them) and is stored as CRLF, but "<LF>.<LF>", "<LF>.<CRLF>" and "<CRLF>.<LF>"
// are content, never the end: an MTA that ends DATA there is open to SMTP smuggling (an inner
// message hidden in the body, CVE-2023-51766), the normalisation Postfix 3.9 calls
// smtpd_forbid_bare_newline = normalize. A bare CR inside a line is kept as it came.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::smtp {

class DataDecoder {
 public:
  struct Step {
    std::size_t consumed = 0;  // bytes of the input used; the rest follows the data
    bool done = false;         // the end-of-data line was the last thing consumed
  };

  // Decodes `in`, appending the message bytes to `out`, up to and including the end line.
  Step feed(std::string_view in, std::string& out);

  // A line ended with a bare LF somewhere (logged; the message was normalised).
  bool saw_bare_lf() const { return bare_lf_; }

 private:
  enum class State { line_start, dot, dot_cr, in_line, cr };
  State state_ = State::line_start;
  bool after_crlf_ = true;  // the previous line ended with CRLF (or there was none yet)
  bool bare_lf_ = false;
};

// The other direction, for the client engine: dot-stuffs `message` (a leading '.' doubled on
// every line) and appends the end line, ending the last line first if it has no CRLF.
std::string dot_stuff(std::string_view message);

}  // namespace tessera::smtp
