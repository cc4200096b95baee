#include <string>

#include "dkim/dkim.hpp"

namespace tessera::dkim {

std::string zone_line(std::string_view name, std::string_view text) {
  constexpr std::size_t kMaxString = 255;  // RFC 1035 §3.3.14: one length octet
  std::string line(name);
  if (line.empty() || line.back() != '.') line += '.';  // absolute, whatever the zone's $ORIGIN
  line += " IN TXT";
  std::size_t at = 0;
  do {
    line += " \"";
    for (char c : text.substr(at, kMaxString)) {
      if (c == '"' || c == '\\') line += '\\';  // RFC 1035 §5.1 quoting
      line += c;
    }
    line += '"';
    at += kMaxString;
  } while (at < text.size());
  return line;
}

}  // namespace tessera::dkim
