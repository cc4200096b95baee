// parse(): the whole derived record of a message, and the hints computed from its tree.
#include <algorithm>
#include <cctype>
#include <functional>

#include "mime/header.hpp"
#include "mime/mime.hpp"
#include "mime/structure.hpp"

namespace tessera::mime {
namespace {

constexpr std::size_t kPreviewChars = 256;  // RFC 8970 §3: at most 256 characters
constexpr std::size_t kPreviewScanBytes = 64 * 1024;
constexpr std::size_t kMaxReferences = 100;

bool is_attachment(const Part& part) {
  if (part.disposition == "attachment") return true;
  return !part.filename.empty() && part.disposition != "inline";
}

void walk_leaves(const Part& part, const std::function<bool(const Part&)>& visit, int depth = 0) {
  if (depth > 80) return;
  if (!part.children.empty()) {
    for (const auto& child : part.children)
      walk_leaves(child, visit, depth + 1);
    return;
  }
  if (part.message) {
    if (visit(part)) walk_leaves(part.message->body, visit, depth + 1);
    return;
  }
  visit(part);
}

bool any_attachment(const Part& root) {
  bool found = false;
  walk_leaves(root, [&](const Part& part) {
    if (is_attachment(part)) found = true;
    return !found;  // an attached message counts as one attachment
  });
  return found;
}

// Strips tags, drops <script>/<style> content and decodes the common entities: enough for a
// preview line, not a renderer.
std::string html_text(std::string_view html) {
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] == '<') {
      const auto close = html.find('>', i);
      if (close == std::string_view::npos) break;
      const auto tag = detail::lower(html.substr(i + 1, std::min<std::size_t>(close - i - 1, 7)));
      i = close + 1;
      for (const char* skip : {"script", "style"}) {
        if (tag.starts_with(skip)) {
          const auto end_tag = detail::lower(html.substr(i)).find(std::string("</") + skip);
          i = end_tag == std::string::npos ? html.size() : i + end_tag;
        }
      }
      out.push_back(' ');
      continue;
    }
    if (html[i] == '&') {
      const auto semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 8) {
        const auto name = html.substr(i + 1, semi - i - 1);
        std::string replacement;
        if (name == "amp")
          replacement = "&";
        else if (name == "lt")
          replacement = "<";
        else if (name == "gt")
          replacement = ">";
        else if (name == "quot")
          replacement = "\"";
        else if (name == "apos" || name == "#39")
          replacement = "'";
        else if (name == "nbsp")
          replacement = " ";
        if (!replacement.empty()) {
          out += replacement;
          i = semi + 1;
          continue;
        }
      }
    }
    out.push_back(html[i++]);
  }
  return out;
}

std::string collapse_and_cut(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  bool space = false;
  for (std::size_t i = 0; i < text.size() && chars < max_chars;) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (std::isspace(c)) {
      space = !out.empty();
      ++i;
      continue;
    }
    if (space) {
      out.push_back(' ');
      ++chars;
      space = false;
      if (chars >= max_chars) break;
    }
    std::size_t length = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    length = std::min(length, text.size() - i);
    out.append(text.substr(i, length));
    i += length;
    ++chars;
  }
  return out;
}

std::string preview_of(std::string_view raw, const Part& root) {
  const Part* plain = nullptr;
  const Part* html = nullptr;
  walk_leaves(root, [&](const Part& part) {
    if (part.type == "text" && !is_attachment(part)) {
      if (part.subtype == "plain" && !plain) plain = &part;
      if (part.subtype == "html" && !html) html = &part;
    }
    return false;  // do not look inside attached messages
  });
  const Part* chosen = plain ? plain : html;
  if (!chosen) return {};
  const auto length =
      std::min<std::uint64_t>(chosen->body_end - chosen->body_begin, kPreviewScanBytes);
  auto decoded = decode_transfer(raw.substr(chosen->body_begin, length), chosen->encoding);
  if (!decoded) return {};
  std::string charset;
  for (const auto& p : chosen->params) {
    if (p.name == "charset") charset = p.value;
  }
  auto text = to_utf8(*decoded, charset);
  if (!text) text = to_utf8(*decoded, "WINDOWS-1252");
  if (!text) return {};
  if (chosen == html) return collapse_and_cut(html_text(*text), kPreviewChars);
  return collapse_and_cut(*text, kPreviewChars);
}

Priority priority_of(const std::vector<detail::Field>& fields) {
  const auto x = detail::trim(detail::find(fields, "X-Priority"));
  if (!x.empty() && std::isdigit(static_cast<unsigned char>(x[0]))) {
    const int level = x[0] - '0';
    if (level == 1 || level == 2) return Priority::high;
    if (level == 3) return Priority::normal;
    if (level == 4 || level == 5) return Priority::low;
  }
  for (const char* name : {"Importance", "X-MSMail-Priority", "Priority"}) {
    const auto value = detail::lower(detail::trim(detail::find(fields, name)));
    if (value == "high" || value == "urgent") return Priority::high;
    if (value == "normal") return Priority::normal;
    if (value == "low" || value == "non-urgent") return Priority::low;
  }
  return Priority::unspecified;
}

// RFC 5256 §2.1 base subject: without "Re:", "Fwd:", "[list]" prefixes, "(fwd)" trailers and
// "[Fwd: ...]" wrappers; whitespace collapsed; lower case so comparison is case-insensitive.
// `reply`: a subj-refwd, "(fwd)" trailer or "[Fwd: ...]" went, which makes the message a reply
// or forward for THREAD=REFERENCES (a "[list]" blob alone does not).
std::string base_subject_of(std::string_view decoded, bool& reply) {
  std::string s = collapse_and_cut(decoded, 2000);
  reply = false;
  bool changed = true;
  for (int rounds = 0; changed && rounds < 50; ++rounds) {
    changed = false;
    while (s.size() >= 5 && detail::iequals(std::string_view(s).substr(s.size() - 5), "(fwd)")) {
      s = std::string(detail::trim(s.substr(0, s.size() - 5)));
      changed = reply = true;
    }
    // subj-blob: "[...]" followed by more text.
    if (!s.empty() && s[0] == '[') {
      const auto close = s.find(']');
      if (close != std::string::npos && !detail::trim(s.substr(close + 1)).empty() &&
          !detail::iequals(s.substr(0, std::min<std::size_t>(5, s.size())), "[fwd:")) {
        s = std::string(detail::trim(s.substr(close + 1)));
        changed = true;
      }
    }
    // subj-refwd: ("re" / "fw" / "fwd") [blob] ":"
    for (const char* prefix : {"re", "fwd", "fw", "aw", "wg", "sv", "r", "i"}) {
      const std::string p = prefix;
      if (s.size() > p.size() && detail::iequals(std::string_view(s).substr(0, p.size()), p)) {
        std::size_t at = p.size();
        if (at < s.size() && s[at] == '[') {
          const auto close = s.find(']', at);
          if (close == std::string::npos) continue;
          at = close + 1;
        }
        while (at < s.size() && s[at] == ' ')
          ++at;
        if (at < s.size() && s[at] == ':') {
          s = std::string(detail::trim(s.substr(at + 1)));
          changed = reply = true;
          break;
        }
      }
    }
    if (s.size() > 6 && detail::iequals(s.substr(0, 5), "[fwd:") && s.back() == ']') {
      s = std::string(detail::trim(s.substr(5, s.size() - 6)));
      changed = reply = true;
    }
  }
  return detail::lower(s);
}

void add_ids(std::string_view value, std::vector<std::string>& out) {
  std::size_t at = 0;
  while (out.size() < kMaxReferences * 2) {
    const auto open = value.find('<', at);
    if (open == std::string_view::npos) return;
    const auto close = value.find('>', open);
    if (close == std::string_view::npos) return;
    std::string id(value.substr(open, close - open + 1));
    if (id.size() > 2 && std::find(out.begin(), out.end(), id) == out.end())
      out.push_back(std::move(id));
    at = close + 1;
  }
}

}  // namespace

Message parse(std::string_view raw) {
  Message message;
  message.body = detail::parse_entity(raw, 0, raw.size(), "", false, 0);
  const auto fields = detail::parse_fields(raw.substr(0, message.body.header_end));
  message.envelope = detail::parse_envelope(fields);
  message.preview = preview_of(raw, message.body);
  message.has_attachment = any_attachment(message.body);
  message.priority = priority_of(fields);
  message.base_subject = base_subject_of(message.envelope.subject, message.reply_subject);
  // RFC 5256 §BASE.ALGORITHMS.REFERENCES step 1: References, or else In-Reply-To's first id.
  add_ids(detail::find(fields, "References"), message.references);
  if (message.references.empty()) {
    std::vector<std::string> parent;
    add_ids(detail::find(fields, "In-Reply-To"), parent);
    if (!parent.empty()) message.references.push_back(parent.front());
  }
  if (message.references.size() > kMaxReferences)
    message.references.erase(message.references.begin(), message.references.end() - kMaxReferences);
  return message;
}

}  // namespace tessera::mime
