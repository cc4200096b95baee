#include "response.hpp"

#include "imap/reader.hpp"

namespace tessera::imap {

std::string imap_string(std::string_view text) {
  bool quotable = text.size() < 1024;
  for (unsigned char c : text) {
    if (c == '\r' || c == '\n' || c == 0 || c >= 0x80) quotable = false;
  }
  if (!quotable) return "{" + std::to_string(text.size()) + "}\r\n" + std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string imap_astring(std::string_view text) {
  if (text.empty() || text == "NIL" || text == "nil") return imap_string(text);
  for (char c : text) {
    if (!is_astring_char(c)) return imap_string(text);
  }
  return std::string(text);
}

}  // namespace tessera::imap
