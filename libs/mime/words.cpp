// RFC 2047 encoded words, charset conversion (glibc iconv) and transfer decoding (mimetic).
#include <cctype>
#include <cerrno>
#include <iterator>

#include <iconv.h>
#include <mimetic/codec/base64.h>
#include <mimetic/codec/code.h>
#include <mimetic/codec/qp.h>

#include "base/utf8.hpp"
#include "mime/header.hpp"
#include "mime/mime.hpp"

namespace tessera::mime {
namespace {

// Real mail has raw 8-bit headers; the most common unlabelled charset is windows-1252.
std::string repair(std::string_view text) {
  if (valid_utf8(text)) return std::string(text);
  auto converted = to_utf8(text, "WINDOWS-1252");
  if (converted) return *converted;
  std::string out;  // bytes iconv could not map (0x81 ...): dropped to '?'
  for (unsigned char c : text)
    out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  return out;
}

// RFC 2047 §4.2 "Q": like quoted-printable, and "_" is a space.
std::string decode_q(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out.push_back(' ');
    } else if (text[i] == '=' && i + 2 < text.size() && detail::hex_value(text[i + 1]) >= 0 &&
               detail::hex_value(text[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(detail::hex_value(text[i + 1]) * 16 + detail::hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string decode_b(std::string_view text) {
  std::string out;
  mimetic::Base64::Decoder decoder;
  mimetic::decode(text.begin(), text.end(), decoder, std::back_inserter(out));
  return out;
}

// One encoded word at `at` ("=?charset?E?text?="): its decoded UTF-8 and length, or nullopt.
std::optional<std::pair<std::string, std::size_t>> encoded_word(std::string_view value,
                                                                std::size_t at) {
  if (value.compare(at, 2, "=?") != 0) return std::nullopt;
  const auto q1 = value.find('?', at + 2);
  if (q1 == std::string_view::npos || q1 + 2 >= value.size() || value[q1 + 2] != '?')
    return std::nullopt;
  const auto end = value.find("?=", q1 + 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view charset = value.substr(at + 2, q1 - at - 2);
  if (auto star = charset.find('*'); star != std::string_view::npos)
    charset = charset.substr(0, star);  // RFC 2231 §5 language suffix
  const char encoding = static_cast<char>(std::toupper(static_cast<unsigned char>(value[q1 + 1])));
  const auto text = value.substr(q1 + 3, end - q1 - 3);
  if (text.find(' ') != std::string_view::npos) return std::nullopt;
  std::string bytes;
  if (encoding == 'B')
    bytes = decode_b(text);
  else if (encoding == 'Q')
    bytes = decode_q(text);
  else
    return std::nullopt;
  auto utf8 = to_utf8(bytes, charset);
  if (!utf8) return std::nullopt;  // unknown charset: leave the word as written
  return std::pair{std::move(*utf8), end + 2 - at};
}

}  // namespace

std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset) {
  const auto name = detail::upper(detail::trim(charset));
  if (name.empty() || name == "US-ASCII" || name == "ASCII" || name == "UTF-8" || name == "UTF8") {
    return repair(bytes);
  }
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  out.resize(bytes.size() * 4 + 16);
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write there
  std::size_t in_left = bytes.size();
  char* dst = out.data();
  std::size_t out_left = out.size();
  while (in_left > 0) {
    if (iconv(cd, &in, &in_left, &dst, &out_left) != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) break;  // cannot happen with 4x room; stop rather than loop
    // An invalid or incomplete sequence: replace one byte and go on (degrade, never fail).
    if (out_left < 3) break;
    *dst++ = '\xEF';
    *dst++ = '\xBF';
    *dst++ = '\xBD';
    out_left -= 3;
    ++in;
    --in_left;
  }
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

std::string decode_words(std::string_view value) {
  std::string out;
  std::size_t i = 0;
  bool last_was_word = false;
  std::string plain;
  auto flush_plain = [&] {
    out += repair(plain);
    plain.clear();
  };
  while (i < value.size()) {
    if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
      if (auto word = encoded_word(value, i)) {
        // RFC 2047 §6.2: whitespace between adjacent encoded words is not displayed.
        if (last_was_word) plain.clear();
        flush_plain();
        out += word->first;
        i += word->second;
        last_was_word = true;
        continue;
      }
    }
    const char c = value[i];
    if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      last_was_word = false;
    }
    plain.push_back(c);
    ++i;
  }
  flush_plain();
  return out;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2045 §6.7, decoded as the rules say and mimetic's decoder does not: whitespace at the
// end of a line is transport padding and goes (rule 3), also after a soft-break "=" (rule 5),
// and a "=" not followed by two hex digits stays as written (robustness, §6.7 note 1).
std::string decode_quoted_printable(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  while (!body.empty()) {
    auto end = body.find('\n');
    const bool has_break = end != std::string_view::npos;
    auto line = body.substr(0, has_break ? end : body.size());
    body.remove_prefix(has_break ? end + 1 : body.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    const bool soft = !line.empty() && line.back() == '=';
    if (soft) line.remove_suffix(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
      const int hi = line[i] == '=' && i + 2 < line.size() ? hex_value(line[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(line[i + 2]) : -1;
      if (lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(line[i]);
      }
    }
    if (has_break && !soft) out += "\r\n";
  }
  return out;
}

}  // namespace

Result<std::string> decode_transfer(std::string_view body, std::string_view encoding) {
  const auto name = detail::upper(detail::trim(encoding));
  if (name.empty() || name == "7BIT" || name == "8BIT" || name == "BINARY")
    return std::string(body);
  std::string out;
  if (name == "BASE64") {
    mimetic::Base64::Decoder decoder;
    mimetic::decode(body.begin(), body.end(), decoder, std::back_inserter(out));
    return out;
  }
  if (name == "QUOTED-PRINTABLE") return decode_quoted_printable(body);
  return make_error("mime.unknown_cte", "unknown Content-Transfer-Encoding " + name);
}

}  // namespace tessera::mime
