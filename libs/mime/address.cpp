// RFC 5322 §3.4 address lists, tolerant of what real mail contains: groups
// ("undisclosed-recipients:;"), old "addr (Name)" forms, RFC 2047 names, source routes
// (RFC 5322 §4.4 obs-route, dropped), missing domains.
#include "mime/address.hpp"

#include "mime/header.hpp"

namespace tessera::mime::detail {
namespace {

constexpr std::size_t kMaxAddresses = 1000;

// Calls `visit(i)` for each character of `text` outside quoted strings and comments (RFC 5322
// §3.2.4, §3.2.2), with `angle` telling whether it is inside "<...>"; stops when it returns false.
template <typename Visit>
void scan_top_level(std::string_view text, Visit visit) {
  int comment = 0;
  bool quoted = false;
  bool angle = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (comment > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++comment;
      else if (c == ')')
        --comment;
      continue;
    }
    if (c == '"')
      quoted = true;
    else if (c == '(')
      comment = 1;
    else if (!visit(i, angle))
      return;
    if (c == '<')
      angle = true;
    else if (c == '>')
      angle = false;
  }
}

// Splits at top-level `separators`, outside quotes, comments and angle brackets.
std::vector<std::string_view> split_top(std::string_view text, std::string_view separators,
                                        std::vector<char>* found = nullptr) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  scan_top_level(text, [&](std::size_t i, bool angle) {
    if (!angle && separators.find(text[i]) != std::string_view::npos) {
      out.push_back(text.substr(start, i - start));
      if (found) found->push_back(text[i]);
      start = i + 1;
    }
    return true;
  });
  out.push_back(text.substr(std::min(start, text.size())));
  return out;
}

std::string unquote_phrase(std::string_view text) {
  std::string out;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (quoted && c == '\\' && i + 1 < text.size()) {
      out.push_back(text[++i]);
      continue;
    }
    out.push_back(c);
  }
  std::string collapsed;
  for (char c : out) {
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (space && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed.push_back(space ? ' ' : c);
  }
  while (!collapsed.empty() && collapsed.back() == ' ')
    collapsed.pop_back();
  return collapsed;
}

// The text of the first comment, for "user@host (Full Name)".
std::string first_comment(std::string_view text) {
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') quoted = !quoted;
    if (!quoted && text[i] == '(') {
      const auto close = text.find(')', i);
      if (close == std::string_view::npos) return std::string(trim(text.substr(i + 1)));
      return std::string(trim(text.substr(i + 1, close - i - 1)));
    }
  }
  return {};
}

void split_addr_spec(std::string_view spec, Address& address) {
  std::string s = strip_comments(spec);
  std::string_view view = trim(s);
  // obs-route "@a,@b:user@host": kept apart, IMAP reports it as addr-adl (RFC 3501 §7.4.2).
  if (!view.empty() && view.front() == '@') {
    const auto colon = view.find(':');
    if (colon != std::string_view::npos) {
      address.route = std::string(trim(view.substr(0, colon)));
      view = view.substr(colon + 1);
    }
  }
  const auto at = view.rfind('@');
  if (at == std::string_view::npos) {
    address.local_part = std::string(trim(view));
    return;
  }
  address.local_part = std::string(trim(view.substr(0, at)));
  address.domain = std::string(trim(view.substr(at + 1)));
}

std::optional<Address> parse_mailbox(std::string_view text, const std::string& group) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  Address address;
  address.group = group;
  // The first '<' outside quotes and comments starts the angle-addr.
  std::size_t open = std::string_view::npos;
  scan_top_level(text, [&](std::size_t i, bool) {
    if (text[i] != '<') return true;
    open = i;
    return false;
  });
  if (open != std::string_view::npos) {
    const auto close = text.find('>', open);
    const auto spec =
        text.substr(open + 1, (close == std::string_view::npos ? text.size() : close) - open - 1);
    split_addr_spec(spec, address);
    address.raw_name = unquote_phrase(strip_comments(text.substr(0, open)));
  } else {
    split_addr_spec(text, address);
    address.raw_name = unquote_phrase(first_comment(text));
  }
  address.name = decode_words(address.raw_name);
  if (address.local_part.empty() && address.domain.empty() && address.raw_name.empty())
    return std::nullopt;
  return address;
}

}  // namespace

std::vector<Address> parse_addresses(std::string_view value) {
  std::vector<Address> out;
  std::vector<char> separators;
  auto items = split_top(value, ",:;", &separators);
  std::string group;
  std::size_t members = 0;
  for (std::size_t i = 0; i < items.size() && out.size() < kMaxAddresses; ++i) {
    const char after = i < separators.size() ? separators[i] : ',';
    if (after == ':') {
      // "name:" opens a group (RFC 5322 §3.4); its members follow until ';'.
      group = unquote_phrase(strip_comments(items[i]));
      if (group.empty()) group = " ";
      members = 0;
      continue;
    }
    if (auto address = parse_mailbox(items[i], group)) {
      out.push_back(std::move(*address));
      ++members;
    }
    if (after == ';' && !group.empty()) {
      // An empty group ("undisclosed-recipients:;") is kept as one member with no address,
      // so IMAP can still send the group's start and end markers.
      if (members == 0) out.push_back(Address{"", "", "", "", group});
      group.clear();
    }
  }
  return out;
}

}  // namespace tessera::mime::detail
