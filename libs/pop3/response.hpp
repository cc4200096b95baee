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

// Dovecot's pop3_client_workarounds, for clients that break on messages RFC 5322 forbids
// anyway; both change only such messages.
struct ClientWorkarounds {
  // "outlook-no-nuls": Outlook and Outlook Express hang on a NUL (RFC 5322 §3.5 forbids it);
  // each goes out as 0x80 instead.
  bool outlook_no_nuls = false;
  // "oe-ns-eoh": Outlook Express and Netscape Mail break on a message without the empty line
  // that ends the header (RFC 5322 §2.1); finish() adds it when the message never had one.
  bool oe_ns_eoh = false;
};

// RFC 1939 §3 multi-line responses: a line that starts with '.' gets one more, every line end
// goes out as CRLF (a bare LF too), and finish() ends the last line and adds ".\r\n". With
// `body_lines` (TOP, §7) only the header, the empty line after it and that many body lines pass;
// done() says when the rest may be skipped.
class MultilineEncoder {
 public:
  explicit MultilineEncoder(std::optional<std::uint32_t> body_lines = std::nullopt,
                            ClientWorkarounds workarounds = {})
      : body_lines_(body_lines), workarounds_(workarounds) {}
  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);
  bool done() const { return done_; }

 private:
  void end_line(std::string& out);

  std::optional<std::uint32_t> body_lines_;
  ClientWorkarounds workarounds_;
  bool line_start_ = true;
  bool after_cr_ = false;
  bool in_body_ = false;    // the empty line that ends the header has passed
  bool line_empty_ = true;  // the current line has no character yet
  bool done_ = false;
};

// A message's UIDL (RFC 1939 §7: 1 to 70 characters 0x21..0x7E, never reused for another
// message of the maildrop): its UID and the mailbox's UIDVALIDITY, 8 hex digits each — the
// format Dovecot uses by default (pop3_uidl_format = %08Xu%08Xv), so clients that migrate from
// a Dovecot maildrop with the same UIDs see the same UIDLs.
std::string uidl(std::uint32_t uidvalidity, std::uint32_t uid);

}  // namespace tessera::pop3
