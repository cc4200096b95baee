#include "search_match.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "imap/date_time.hpp"
#include "mime/header.hpp"
#include "mime/mime.hpp"

namespace tessera::imap {
namespace {

char fold(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

void collect_text(std::string_view raw, const mime::Part& part, std::string& out) {
  for (const auto& child : part.children)
    collect_text(raw, child, out);
  if (part.message) collect_text(raw, part.message->body, out);
  if (!part.children.empty() || part.message || part.type != "text") return;
  const auto body = raw.substr(part.body_begin, part.body_end - part.body_begin);
  auto decoded = mime::decode_transfer(body, part.encoding);
  std::string text = decoded ? std::move(*decoded) : std::string(body);
  std::string charset = "us-ascii";
  for (const auto& p : part.params)
    if (p.name == "charset") charset = p.value;
  if (auto utf8 = mime::to_utf8(text, charset)) text = std::move(*utf8);
  out += text;
  out += '\n';
}

}  // namespace

bool contains_text(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return fold(a) == fold(b); });
  return it != haystack.end();
}

bool header_matches(std::string_view header, std::string_view field, std::string_view text) {
  for (const auto& f : mime::detail::parse_fields(header)) {
    if (!mime::detail::iequals(f.name, field)) continue;
    if (text.empty() || contains_text(mime::decode_words(f.value), text)) return true;
  }
  return false;
}

std::string searchable_header(std::string_view header) {
  std::string out;
  for (const auto& f : mime::detail::parse_fields(header))
    out += f.name + ": " + mime::decode_words(f.value) + "\n";
  return out;
}

std::string searchable_body(std::string_view raw) {
  const auto message = mime::parse(raw);
  std::string out;
  collect_text(raw, message.body, out);
  return out;
}

std::optional<std::int64_t> sent_day(std::string_view date) {
  // Tokens: [day-name ","] day month year time zone (RFC 5322 §3.3).
  std::vector<std::string> tokens;
  std::string token;
  for (char c : date) {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!token.empty()) tokens.push_back(std::move(token));
      token.clear();
    } else {
      token.push_back(c);
    }
  }
  if (!token.empty()) tokens.push_back(token);
  for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
    const auto& d = tokens[i];
    if (d.empty() || d.size() > 2 || !std::all_of(d.begin(), d.end(), ::isdigit)) continue;
    auto year = tokens[i + 2];
    if (year.size() == 2) year = (year < "50" ? "20" : "19") + year;  // RFC 5322 §4.3
    if (auto day = parse_date(d + "-" + tokens[i + 1] + "-" + year)) return day;
  }
  return std::nullopt;
}

}  // namespace tessera::imap
