#include "imap/reader.hpp"

#include <charconv>
#include <string_view>

namespace tessera::imap {
namespace {

// RFC 9051 §9: atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials /
// resp-specials.
constexpr std::string_view kAtomSpecials = "(){ %*\"\\]";

}  // namespace

bool is_atom_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && kAtomSpecials.find(c) == std::string_view::npos;
}

bool is_astring_char(char c) {
  return is_atom_char(c) || c == ']';
}

Error Reader::error(std::string_view what) const {
  std::string message(what);
  message += " at octet " + std::to_string(pos_);
  return make_error("imap.syntax", std::move(message));
}

bool Reader::try_char(char c) {
  if (peek() != c || at_end()) return false;
  ++pos_;
  return true;
}

Status Reader::expect(char c) {
  if (try_char(c)) return {};
  return error(std::string("expected '") + c + "'");
}

Status Reader::sp() {
  if (try_char(' ')) return {};
  return error("expected a space");
}

Result<std::string> Reader::atom() {
  const auto start = pos_;
  while (!at_end() && is_atom_char(wire_[pos_]))
    ++pos_;
  if (pos_ == start) return error("expected an atom");
  return std::string(wire_.substr(start, pos_ - start));
}

Result<std::string> Reader::tag() {
  const auto start = pos_;
  while (!at_end() && is_astring_char(wire_[pos_]) && wire_[pos_] != '+')
    ++pos_;
  if (pos_ == start) return error("expected a tag");
  // A tag ends at SP: "a(7 NOOP" has no valid tag, not the tag "a" (RFC 9051 §9 tag).
  if (!at_end() && wire_[pos_] != ' ') {
    pos_ = start;
    return error("invalid character in tag");
  }
  return std::string(wire_.substr(start, pos_ - start));
}

Result<std::string> Reader::string() {
  if (try_char('"')) {
    std::string out;
    while (!at_end()) {
      const char c = wire_[pos_++];
      if (c == '"') return out;
      if (c == '\r' || c == '\n') break;
      if (c == '\\') {
        // quoted-specials only: "\\" and "\"" (RFC 9051 §9).
        if (at_end() || (wire_[pos_] != '"' && wire_[pos_] != '\\')) {
          --pos_;
          return error("bad escape in quoted string");
        }
        out.push_back(wire_[pos_++]);
        continue;
      }
      out.push_back(c);
    }
    return error("unterminated quoted string");
  }
  if (peek() == '~') ++pos_;  // literal8 (RFC 3516) in APPEND: same framing
  if (!try_char('{')) return error("expected a string");
  auto size = number();
  if (!size) return size.error();
  try_char('+');  // LITERAL+ / LITERAL- (RFC 7888)
  if (!try_char('}') || !try_char('\r') || !try_char('\n')) return error("bad literal header");
  if (wire_.size() - pos_ < *size) return error("literal shorter than announced");
  std::string out(wire_.substr(pos_, *size));
  pos_ += *size;
  return out;
}

Result<std::string> Reader::astring() {
  // "~" starts literal8 only before "{"; otherwise it is an ordinary atom character.
  const bool literal8 = peek() == '~' && pos_ + 1 < wire_.size() && wire_[pos_ + 1] == '{';
  if (peek() == '"' || peek() == '{' || literal8) return string();
  const auto start = pos_;
  while (!at_end() && is_astring_char(wire_[pos_]))
    ++pos_;
  if (pos_ == start) return error("expected an astring");
  return std::string(wire_.substr(start, pos_ - start));
}

Result<std::optional<std::string>> Reader::nstring() {
  if (peek() == 'N' || peek() == 'n') {
    auto word = atom();
    if (!word) return word.error();
    if (word->size() == 3 && (*word == "NIL" || *word == "nil" || *word == "Nil"))
      return std::optional<std::string>();
    return error("expected a string or NIL");
  }
  auto text = string();
  if (!text) return text.error();
  return std::optional<std::string>(std::move(*text));
}

Result<std::uint64_t> Reader::number64() {
  const auto start = pos_;
  while (!at_end() && wire_[pos_] >= '0' && wire_[pos_] <= '9')
    ++pos_;
  if (pos_ == start) return error("expected a number");
  std::uint64_t value = 0;
  const auto digits = wire_.substr(start, pos_ - start);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return error("number too large");
  return value;
}

Result<std::uint32_t> Reader::number() {
  auto value = number64();
  if (!value) return value.error();
  if (*value > 0xFFFFFFFFULL) return error("number too large");
  return static_cast<std::uint32_t>(*value);
}

Result<std::uint32_t> Reader::nz_number() {
  if (peek() == '0') return error("expected a non-zero number");
  return number();
}

}  // namespace tessera::imap
