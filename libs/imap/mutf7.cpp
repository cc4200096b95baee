#include "imap/mutf7.hpp"

#include <cstdint>
#include <vector>

#include "base/utf8.hpp"

namespace tessera::imap {
namespace {

// RFC 3501 §5.1.3: modified BASE64 uses "," instead of "/" and no padding.
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int value_of(char c) {
  for (int i = 0; i < 64; ++i)
    if (kAlphabet[i] == c) return i;
  return -1;
}

void flush(std::string& out, std::vector<std::uint16_t>& units) {
  if (units.empty()) return;
  out.push_back('&');
  std::uint32_t buffer = 0;
  int bits = 0;
  for (auto unit : units) {
    buffer = (buffer << 16) | unit;
    bits += 16;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
  out.push_back('-');
  units.clear();
}

}  // namespace

std::string utf8_to_mutf7(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> units;  // UTF-16 of the pending non-ASCII run
  for (char32_t cp : decode_utf8(utf8)) {
    if (cp >= 0x20 && cp <= 0x7E) {
      flush(out, units);
      out += cp == '&' ? "&-" : std::string(1, static_cast<char>(cp));
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 | (cp >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 | (cp & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush(out, units);
  return out;
}

Result<std::string> mutf7_to_utf8(std::string_view mutf7) {
  auto bad = [] {
    return make_error("imap.bad_mutf7", "mailbox name is not valid modified UTF-7");
  };
  std::string out;
  for (std::size_t i = 0; i < mutf7.size(); ++i) {
    const char c = mutf7[i];
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return bad();
    if (c != '&') {
      out.push_back(c);
      continue;
    }
    const auto end = mutf7.find('-', i + 1);
    if (end == std::string_view::npos) return bad();
    if (end == i + 1) {
      out.push_back('&');
      i = end;
      continue;
    }
    std::uint32_t buffer = 0;
    int bits = 0;
    std::vector<std::uint16_t> units;
    for (std::size_t k = i + 1; k < end; ++k) {
      const int v = value_of(mutf7[k]);
      if (v < 0) return bad();
      buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push_back(static_cast<std::uint16_t>((buffer >> bits) & 0xFFFF));
      }
    }
    if (bits >= 6 || (buffer & ((1U << bits) - 1)) != 0) return bad();  // leftover must be 0 pad
    for (std::size_t u = 0; u < units.size(); ++u) {
      std::uint32_t cp = units[u];
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (u + 1 >= units.size() || units[u + 1] < 0xDC00 || units[u + 1] > 0xDFFF) return bad();
        cp = 0x10000 + ((cp - 0xD800) << 10) + (units[++u] - 0xDC00);
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return bad();
      }
      if (cp >= 0x20 && cp <= 0x7E) return bad();  // printable ASCII must not be encoded
      append_utf8(out, cp);
    }
    i = end;
  }
  return out;
}

}  // namespace tessera::imap
