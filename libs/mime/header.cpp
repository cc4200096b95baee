#include "mime/header.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace tessera::mime::detail {
namespace {

constexpr std::size_t kMaxFields = 2000;  // a header with more is abuse; the rest is ignored
constexpr std::size_t kMaxParams = 100;

// RFC 2231 §4: charset'language'%XX-encoded.
std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Splits "a=b; c=\"d;e\"" at top-level semicolons (outside quotes and comments).
std::vector<std::string> split_params(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      current.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        current.push_back(text[++i]);
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') quoted = true;
    if (c == ';') {
      out.push_back(std::move(current));
      current.clear();
      if (out.size() > kMaxParams) break;
      continue;
    }
    current.push_back(c);
  }
  out.push_back(std::move(current));
  return out;
}

std::string unquote(std::string_view value) {
  value = trim(value);
  if (value.size() < 2 || value.front() != '"') return std::string(value);
  std::string out;
  for (std::size_t i = 1; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      out.push_back(value[++i]);
    } else if (value[i] == '"') {
      break;
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

}  // namespace

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string strip_comments(std::string_view text) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size())
        out.push_back(text[++i]);
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (depth > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++depth;
      else if (c == ')')
        --depth;
      continue;
    }
    if (c == '(') {
      depth = 1;
      out.push_back(' ');
      continue;
    }
    if (c == '"') quoted = true;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  const auto clean = strip_comments(text);
  std::size_t start = 0;
  while (start <= clean.size() && out.size() < kMaxParams) {
    auto comma = clean.find(',', start);
    if (comma == std::string::npos) comma = clean.size();
    const auto item = trim(std::string_view(clean).substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

std::size_t header_end(std::string_view raw, std::size_t begin, std::size_t end) {
  // RFC 5322 §2.1: the header ends at the first empty line. Bare LF line ends are accepted.
  std::size_t line = begin;
  while (line < end) {
    if (raw[line] == '\n') return line + 1;
    if (raw[line] == '\r' && line + 1 < end && raw[line + 1] == '\n') return line + 2;
    const auto next = raw.find('\n', line);
    if (next == std::string_view::npos || next >= end) return end;
    line = next + 1;
  }
  return end;
}

std::vector<Field> parse_fields(std::string_view block) {
  std::vector<Field> fields;
  std::size_t i = 0;
  while (i < block.size() && fields.size() < kMaxFields) {
    auto eol = block.find('\n', i);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(i, eol - i);
    i = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      // Continuation (RFC 5322 §2.2.3): unfolding removes the line break only.
      if (!fields.empty()) fields.back().value.append(line);
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    Field field;
    field.name = std::string(trim(line.substr(0, colon)));
    field.value = std::string(line.substr(colon + 1));
    fields.push_back(std::move(field));
  }
  for (auto& field : fields)
    field.value = std::string(trim(field.value));
  return fields;
}

std::string_view find(const std::vector<Field>& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (iequals(field.name, name)) return field.value;
  }
  return {};
}

Structured parse_structured(std::string_view text) {
  Structured out;
  auto pieces = split_params(strip_comments(text));
  out.value = lower(trim(pieces.front()));
  // RFC 2231 §3: name*0, name*1*, ... joined in order; "*" marks percent-encoded pieces,
  // the first of which carries charset'language'.
  struct Piece {
    std::string value;
    bool encoded = false;
  };
  std::map<std::string, std::map<int, Piece>> split;
  std::vector<std::string> order;
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    const std::string_view piece = pieces[i];
    const auto eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name = lower(trim(piece.substr(0, eq)));
    if (name.empty()) continue;
    std::string value = unquote(piece.substr(eq + 1));
    bool encoded = false;
    if (name.back() == '*') {
      encoded = true;
      name.pop_back();
    }
    int index = -1;
    const auto star = name.find('*');
    if (star != std::string::npos) {
      const auto digits = name.substr(star + 1);
      if (!digits.empty() && digits.size() < 4 &&
          std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(c); }))
        index = std::stoi(digits);
      name = name.substr(0, star);
    }
    if (!split.contains(name)) order.push_back(name);
    auto& slots = split[name];
    if (!slots.contains(index)) slots[index] = Piece{std::move(value), encoded};
  }
  for (const auto& name : order) {
    const auto& slots = split[name];
    std::string charset;
    std::string joined;
    bool any_encoded = false;
    for (const auto& [index, piece] : slots) {
      if (index == -1 && slots.size() > 1) continue;  // a plain value next to continuations
      std::string value = piece.value;
      if (piece.encoded) {
        any_encoded = true;
        if (joined.empty() && charset.empty()) {
          const auto q1 = value.find('\'');
          const auto q2 = q1 == std::string::npos ? q1 : value.find('\'', q1 + 1);
          if (q2 != std::string::npos) {
            charset = value.substr(0, q1);
            value = value.substr(q2 + 1);
          }
        }
        joined += percent_decode(value);
      } else {
        joined += value;
      }
    }
    std::string decoded;
    if (any_encoded && !charset.empty()) {
      auto converted = to_utf8(joined, charset);
      decoded = converted ? *converted : decode_words(joined);
    } else {
      decoded = decode_words(joined);  // RFC 2047 inside quotes is common in practice
    }
    out.params.push_back(Parameter{name, std::move(decoded)});
  }
  return out;
}

}  // namespace tessera::mime::detail
