#include "pop3/response.hpp"

#include <cstdio>

namespace tessera::pop3 {

std::string ok(std::string_view text) {
  return text.empty() ? std::string("+OK\r\n") : "+OK " + std::string(text) + "\r\n";
}

std::string err(std::string_view text, std::string_view code) {
  std::string out = "-ERR ";
  if (!code.empty()) out += "[" + std::string(code) + "] ";
  return out + std::string(text) + "\r\n";
}

void MultilineEncoder::end_line(std::string& out) {
  out += "\r\n";
  if (in_body_) {
    if (body_lines_ && --*body_lines_ == 0) done_ = true;  // the last body line asked for
  } else if (line_empty_) {
    in_body_ = true;  // the empty line that ends the header (RFC 5322 §2.1)
    if (body_lines_ && *body_lines_ == 0) done_ = true;
  }
  line_start_ = true;
  line_empty_ = true;
}

void MultilineEncoder::feed(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() + in.size() / 64 + 2);
  for (char c : in) {
    if (done_) return;
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF already ended
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      end_line(out);
      continue;
    }
    if (line_start_ && c == '.') out += '.';
    line_start_ = false;
    line_empty_ = false;
    out += c == '\0' && workarounds_.outlook_no_nuls ? '\x80' : c;
  }
}

void MultilineEncoder::finish(std::string& out) {
  if (!line_start_ && !done_) end_line(out);
  if (!in_body_ && workarounds_.oe_ns_eoh) out += "\r\n";
  out += ".\r\n";
}

std::string uidl(std::uint32_t uidvalidity, std::uint32_t uid) {
  char text[17];
  std::snprintf(text, sizeof text, "%08X%08X", uid, uidvalidity);
  return text;
}

}  // namespace tessera::pop3
