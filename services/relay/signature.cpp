#include "signature.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/ascii.hpp"
#include "mime/mime.hpp"
#include "net/sasl.hpp"

namespace tessera::relay {
namespace {

using mime::Part;

struct Edit {
  std::size_t begin = 0, end = 0;  // replaced range of the message
  std::string replacement;
};

// Every line end as CRLF (RFC 5322 §2.3), ending with one.
std::string crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 128; });
}

std::string escape_html(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else if (c == '\n')
      out += "<br>\n";
    else if (c != '\r')
      out += c;
  }
  return out;
}

std::string text_of(const MandatorySignature& s) {
  return crlf(s.text);
}

std::string html_of(const MandatorySignature& s) {
  if (!s.html.empty()) return crlf(s.html);
  return crlf("<div>" + escape_html(s.text) + "</div>");
}

std::string param_of(const Part& part, std::string_view name) {
  for (const auto& p : part.params)
    if (p.name == name) return p.value;
  return {};
}

// RFC 2045 §6.7: hard line breaks kept, lines of at most 76 characters with soft breaks, '=',
// controls, 8-bit bytes and whitespace before a line end encoded.
std::string quoted_printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t column = 0;
  auto put = [&](std::string_view piece) {
    if (column + piece.size() > 75) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += "\r\n";
      column = 0;
      ++i;
      continue;
    }
    const bool blank = c == ' ' || c == '\t';
    const bool before_break = i + 1 == text.size() || text[i + 1] == '\r';
    if ((c >= 33 && c <= 126 && c != '=') || (blank && !before_break)) {
      put(std::string_view(&text[i], 1));
    } else {
      const char encoded[3] = {'=', hex[c >> 4], hex[c & 15]};
      put(std::string_view(encoded, 3));
    }
  }
  return out;
}

// RFC 2045 §6.8: lines of 76 characters.
std::string base64_lines(std::string_view bytes) {
  const auto encoded = net::base64_encode(bytes);
  std::string out;
  for (std::size_t at = 0; at < encoded.size(); at += 76)
    out += encoded.substr(at, 76) + "\r\n";
  return out;
}

std::size_t find_last_ci(std::string_view haystack, std::string_view needle) {
  if (haystack.size() < needle.size()) return std::string_view::npos;
  for (std::size_t at = haystack.size() - needle.size() + 1; at-- > 0;)
    if (ascii_iequals(haystack.substr(at, needle.size()), needle)) return at;
  return std::string_view::npos;
}

// `addition` put into decoded text: HTML before its </body>, plain text after a blank line.
std::string with_addition(std::string_view text, const std::string& addition, bool html) {
  std::string out(text);
  if (html) {
    if (const auto at = find_last_ci(out, "</body>"); at != std::string::npos) {
      out.insert(at, addition);
      return out;
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  if (!html) out += "\r\n";
  return out + addition;
}

std::optional<Edit> leaf_edit(std::string_view raw, const Part& part,
                              const MandatorySignature& signature) {
  const bool html = part.subtype == "html";
  const auto addition = html ? html_of(signature) : text_of(signature);
  if (addition.empty()) return Edit{part.body_end, part.body_end, ""};
  const auto charset = ascii_lower(param_of(part, "charset"));
  if (!is_ascii(addition) && charset != "utf-8" && charset != "utf8") return std::nullopt;
  const auto& encoding = part.encoding;
  const auto body = raw.substr(part.body_begin, part.body_end - part.body_begin);
  if (encoding == "7BIT" || encoding.empty()) {
    if (!is_ascii(addition)) return std::nullopt;  // to quoted-printable: seven_bit_edits()
  }
  if (encoding == "7BIT" || encoding == "8BIT" || encoding == "BINARY" || encoding.empty()) {
    if (html) {  // only the insertion: the original bytes stay as they were
      if (const auto at = find_last_ci(body, "</body>"); at != std::string_view::npos)
        return Edit{part.body_begin + at, part.body_begin + at, addition};
    }
    std::string insert = body.empty() || body.ends_with("\r\n") ? "" : "\r\n";
    if (!html) insert += "\r\n";
    return Edit{part.body_end, part.body_end, insert + addition};
  }
  if (encoding != "QUOTED-PRINTABLE" && encoding != "BASE64") return std::nullopt;
  auto decoded = mime::decode_transfer(body, encoding);
  if (!decoded) return std::nullopt;
  const auto text = with_addition(*decoded, addition, html);
  return Edit{part.body_begin, part.body_end,
              encoding == "BASE64" ? base64_lines(text) : quoted_printable(text)};
}

// The Content-Transfer-Encoding field of the entity whose header is [begin, end) (with its
// continuation lines), or an empty range before the empty line that ends the header.
std::pair<std::size_t, std::size_t> cte_field(std::string_view raw, std::size_t begin,
                                              std::size_t end) {
  constexpr std::string_view name = "content-transfer-encoding:";
  std::size_t at = begin;
  while (at < end) {
    auto line_end = raw.find('\n', at);
    line_end = line_end == std::string_view::npos || line_end >= end ? end : line_end + 1;
    if (line_end - at >= name.size() && ascii_iequals(raw.substr(at, name.size()), name)) {
      auto field_end = line_end;
      while (field_end < end && (raw[field_end] == ' ' || raw[field_end] == '\t')) {
        const auto next = raw.find('\n', field_end);
        field_end = next == std::string_view::npos || next >= end ? end : next + 1;
      }
      return {at, field_end};
    }
    if (raw.substr(at, line_end - at) == "\r\n" || raw.substr(at, line_end - at) == "\n")
      return {at, at};
    at = line_end;
  }
  return {end, end};
}

// A 7bit text leaf that must take non-ASCII text (RFC 2045 §2.7 forbids it there): the whole
// text as quoted-printable, the field saying so.
std::vector<Edit> seven_bit_edits(std::string_view raw, const Part& part,
                                  const std::string& addition, bool html) {
  const auto body = raw.substr(part.body_begin, part.body_end - part.body_begin);
  const auto [field_begin, field_end] = cte_field(raw, part.header_begin, part.header_end);
  return {
      Edit{field_begin, field_end, "Content-Transfer-Encoding: quoted-printable\r\n"},
      Edit{part.body_begin, part.body_end, quoted_printable(with_addition(body, addition, html))}};
}

// The header and body of a part of its own holding the signature.
std::string signature_entity(const MandatorySignature& signature) {
  const bool plain = !signature.text.empty();
  const auto body = plain ? text_of(signature) : html_of(signature);
  return std::string("Content-Type: text/") + (plain ? "plain" : "html") +
         "; charset=utf-8\r\nContent-Transfer-Encoding: " + (is_ascii(body) ? "7bit" : "8bit") +
         "\r\nContent-Disposition: inline\r\n\r\n" + body;
}

bool is_text_leaf(const Part& part) {
  return part.type == "text" && (part.subtype == "plain" || part.subtype == "html");
}

bool walk(std::string_view raw, const Part& part, const MandatorySignature& signature,
          std::vector<Edit>& edits);

bool walk_alternative(std::string_view raw, const Part& part, const MandatorySignature& signature,
                      std::vector<Edit>& edits) {
  std::vector<Edit> found;
  bool any = false;
  for (const auto& child : part.children) {
    if (!is_text_leaf(child) && child.type != "multipart") continue;  // e.g. text/calendar
    if (!walk(raw, child, signature, found)) return false;            // every alternative or none
    any = true;
  }
  if (any) edits.insert(edits.end(), found.begin(), found.end());
  return any;
}

bool walk_mixed(std::string_view raw, const Part& part, const MandatorySignature& signature,
                std::vector<Edit>& edits) {
  if (part.children.empty()) return false;
  const auto& first = part.children.front();
  std::vector<Edit> found;
  if ((is_text_leaf(first) || first.type == "multipart") && walk(raw, first, signature, found)) {
    edits.insert(edits.end(), found.begin(), found.end());
    return true;
  }
  // The first part is an attachment: the signature becomes a part of its own, after the last.
  const auto boundary = param_of(part, "boundary");
  if (boundary.empty()) return false;
  const auto end = part.children.back().body_end;
  edits.push_back({end, end, "\r\n--" + boundary + "\r\n" + signature_entity(signature)});
  return true;
}

bool walk(std::string_view raw, const Part& part, const MandatorySignature& signature,
          std::vector<Edit>& edits) {
  if (part.type == "multipart") {
    if (part.subtype == "alternative") return walk_alternative(raw, part, signature, edits);
    if (part.subtype == "related")
      return !part.children.empty() && walk(raw, part.children.front(), signature, edits);
    if (part.subtype == "mixed") return walk_mixed(raw, part, signature, edits);
    return false;  // signed, encrypted, report, digest: never touched inside
  }
  if (!is_text_leaf(part)) return false;
  if (auto edit = leaf_edit(raw, part, signature)) {
    edits.push_back(std::move(*edit));
    return true;
  }
  const bool html = part.subtype == "html";
  const auto addition = html ? html_of(signature) : text_of(signature);
  const auto charset = ascii_lower(param_of(part, "charset"));
  const bool seven_bit = part.encoding == "7BIT" || part.encoding.empty();
  if (!seven_bit || (charset != "utf-8" && charset != "utf8") || part.header_end == 0) return false;
  for (auto& edit : seven_bit_edits(raw, part, addition, html))
    edits.push_back(std::move(edit));
  return true;
}

std::string apply(std::string_view raw, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  std::size_t at = 0;
  for (const auto& edit : edits) {
    out.append(raw.substr(at, edit.begin - at));
    out += edit.replacement;
    at = edit.end;
  }
  out.append(raw.substr(at));
  return out;
}

// A multipart/mixed around the original entity (its Content-* fields move into the first part,
// the rest of the header stays on top) and the signature as the second part.
std::string wrap(std::string_view raw, const Part& root, const MandatorySignature& signature,
                 std::string_view boundary) {
  const auto header = raw.substr(0, root.body_begin);
  std::string kept, content;
  std::string* field = &kept;
  std::size_t at = 0;
  while (at < header.size()) {
    auto end = header.find('\n', at);
    end = end == std::string_view::npos ? header.size() : end + 1;
    const auto line = header.substr(at, end - at);
    at = end;
    if (line == "\r\n" || line == "\n") break;  // the empty line that ends the header
    if (line.front() != ' ' && line.front() != '\t') {
      const auto name = ascii_lower(std::string(line.substr(0, line.find(':'))));
      field = name.starts_with("content-") ? &content : name == "mime-version" ? nullptr : &kept;
    }
    if (field != nullptr) field->append(line);
  }
  const std::string b(boundary);
  std::string out = kept + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + b +
                    "\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n--" + b +
                    "\r\n" + content + "\r\n";
  // RFC 2046 §5.1.1: the CRLF before a delimiter belongs to it, so one more keeps each
  // entity's last line end.
  out.append(raw.substr(root.body_begin));
  out += "\r\n--" + b + "\r\n" + signature_entity(signature) + "\r\n--" + b + "--\r\n";
  return out;
}

}  // namespace

std::string add_signature(std::string_view message, const MandatorySignature& signature,
                          std::string_view boundary) {
  if (signature.empty()) return std::string(message);
  const auto parsed = mime::parse(message);
  std::vector<Edit> edits;
  if (walk(message, parsed.body, signature, edits)) return apply(message, std::move(edits));
  return wrap(message, parsed.body, signature, boundary);
}

}  // namespace tessera::relay
