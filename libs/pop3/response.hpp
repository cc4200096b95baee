// POP3 responses (RFC 1939 §3, RFC 2449 §8 response codes) and the multi-line body encoding:
// pure, so the session only writes what these return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::pop3 {

// "+OK text\r\n" ("+OK\r\n" without text).
std::string ok(std::string_view text = {});
// "-ERR [CODE] text\r\n"; `code` is an RFC 2449 §8 / RFC 3206 response code: IN-USE,
// LOGIN-DELAY, SYS/TEMP, SYS/PERM, AUTH; empty for none.
std::string err(std::string_view text, std::string_view code = {});

// RFC 1939 §3 multi-line responses: a line that starts with '.' gets one more, every line end
// goes out as CRLF (a bare LF too), and finish() ends the last line and adds ".\r\n". With
// `body_lines` (TOP, §7) only the header, the empty line after it and that many body lines pass;
// done() says when the rest may be skipped.
class MultilineEncoder {
 public:
  explicit MultilineEncoder(std::optional<std::uint32_t> body_lines = std::nullopt)
      : body_lines_(body_lines) {}
  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);
  bool done() const { return done_; }

 private:
  void end_line(std::string& out);

  std::optional<std::uint32_t> body_lines_;
  bool line_start_ = true;
  bool after_cr_ = false;
  bool in_body_ = false;
  bool line_empty_ = true;  // the current line has no character yet
  bool done_ = false;
};

// A message's UIDL (RFC 1939 §7: 1 to 70 characters 0x21..0x7E, never reused for another
// message of the maildrop): its UID and the mailbox's UIDVALIDITY, 8 hex digits each — the
// format Dovecot uses by default (pop3_uidl_format = %08Xu%08Xv), so clients that migrate from
// a Dovecot maildrop with the same UIDs see the same UIDLs.
std::string uidl(std::uint32_t uidvalidity, std::uint32_t uid);

}  // namespace tessera::pop3
