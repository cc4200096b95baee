#include "mime/structure.hpp"

#include <algorithm>

#include "mime/address.hpp"
#include "mime/date.hpp"

namespace tessera::mime::detail {
namespace {

// Deeper nesting is abuse: below this an entity is a leaf whatever it says it is.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxChildren = 5000;

std::uint32_t count_lines(std::string_view body) {
  if (body.empty()) return 0;
  auto lines = static_cast<std::uint32_t>(std::count(body.begin(), body.end(), '\n'));
  if (body.back() != '\n') ++lines;  // a last line without its line break still counts
  return lines;
}

std::string child_id(const std::string& parent, std::size_t index) {
  const auto n = std::to_string(index + 1);
  return parent.empty() ? n : parent + "." + n;
}

// RFC 2046 §5.1.1: a delimiter is "--" boundary at the start of a line; the line break before
// it belongs to the delimiter. Returns the start of that line break (or of the line at `from`),
// the position after the delimiter line, and whether it is the close delimiter.
struct Delimiter {
  std::size_t content_end;  // where the preceding part's content ends
  std::size_t next;         // after the delimiter line
  bool close;
};

std::optional<Delimiter> next_delimiter(std::string_view raw, std::size_t from, std::size_t end,
                                        const std::string& marker) {
  std::size_t line = from;
  while (line < end) {
    if (raw.compare(line, marker.size(), marker) == 0 && line + marker.size() <= end) {
      std::size_t after = line + marker.size();
      const bool close = raw.compare(after, 2, "--") == 0 && after + 2 <= end;
      const auto eol = raw.find('\n', after);
      const std::size_t next = (eol == std::string_view::npos || eol >= end) ? end : eol + 1;
      std::size_t content_end = line;
      if (content_end > from && raw[content_end - 1] == '\n') {
        --content_end;
        if (content_end > from && raw[content_end - 1] == '\r') --content_end;
      }
      return Delimiter{content_end, next, close};
    }
    const auto eol = raw.find('\n', line);
    if (eol == std::string_view::npos || eol + 1 >= end) return std::nullopt;
    line = eol + 1;
  }
  return std::nullopt;
}

// Replaces the leading `from` of every part number in the tree with `to`.
void renumber(Part& part, const std::string& from, const std::string& to) {
  if (part.part.starts_with(from)) part.part = to + part.part.substr(from.size());
  for (auto& child : part.children)
    renumber(child, from, to);
  if (part.message) renumber(part.message->body, from, to);
}

Part headerless_text(std::string_view raw, std::size_t begin, std::size_t end,
                     const std::string& id) {
  Part part;
  part.part = id;
  part.params.push_back(Parameter{"charset", "us-ascii"});
  part.header_begin = part.header_end = part.body_begin = begin;
  part.body_end = end;
  part.size = end - begin;
  part.lines = count_lines(raw.substr(begin, end - begin));
  return part;
}

void parse_multipart(std::string_view raw, Part& part, const std::string& boundary, int depth) {
  const std::string marker = "--" + boundary;
  const bool digest = part.subtype == "digest";
  auto first = next_delimiter(raw, part.body_begin, part.body_end, marker);
  if (!first) {
    // No delimiter at all: the body is one text part without a header.
    part.children.push_back(
        headerless_text(raw, part.body_begin, part.body_end, child_id(part.part, 0)));
    return;
  }
  auto at = *first;
  while (!at.close && at.next < part.body_end && part.children.size() < kMaxChildren) {
    auto following = next_delimiter(raw, at.next, part.body_end, marker);
    // A missing close delimiter: the last part runs to the end of the body.
    const auto content_end = following ? following->content_end : part.body_end;
    part.children.push_back(parse_entity(raw, at.next, std::max(content_end, at.next),
                                         child_id(part.part, part.children.size()), digest,
                                         depth + 1));
    if (!following) break;
    at = *following;
  }
  if (part.children.empty()) {
    part.children.push_back(
        headerless_text(raw, part.body_end, part.body_end, child_id(part.part, 0)));
  }
}

std::string param(const std::vector<Parameter>& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.name == name) return p.value;
  }
  return {};
}

}  // namespace

Envelope parse_envelope(const std::vector<Field>& fields) {
  Envelope envelope;
  envelope.date = std::string(find(fields, "Date"));
  envelope.date_unix_ms = parse_date(envelope.date);
  envelope.raw_subject = std::string(find(fields, "Subject"));
  envelope.subject = decode_words(envelope.raw_subject);
  envelope.from = parse_addresses(find(fields, "From"));
  envelope.sender = parse_addresses(find(fields, "Sender"));
  envelope.reply_to = parse_addresses(find(fields, "Reply-To"));
  envelope.to = parse_addresses(find(fields, "To"));
  envelope.cc = parse_addresses(find(fields, "Cc"));
  envelope.bcc = parse_addresses(find(fields, "Bcc"));
  envelope.in_reply_to = std::string(find(fields, "In-Reply-To"));
  envelope.message_id = std::string(find(fields, "Message-ID"));
  return envelope;
}

Part parse_entity(std::string_view raw, std::size_t begin, std::size_t end, const std::string& id,
                  bool default_type_message, int depth) {
  Part part;
  part.part = id;
  part.header_begin = begin;
  part.header_end = header_end(raw, begin, end);
  part.body_begin = part.header_end;
  part.body_end = end;
  part.size = end - part.body_begin;
  const auto fields = parse_fields(raw.substr(begin, part.header_end - begin));

  auto content_type = parse_structured(find(fields, "Content-Type"));
  const auto slash = content_type.value.find('/');
  if (slash != std::string::npos && slash > 0 && slash + 1 < content_type.value.size()) {
    part.type = std::string(trim(content_type.value.substr(0, slash)));
    part.subtype = std::string(trim(content_type.value.substr(slash + 1)));
    part.params = std::move(content_type.params);
  } else if (default_type_message) {
    part.type = "message";
    part.subtype = "rfc822";
  } else if (!content_type.params.empty() && content_type.value.empty()) {
    part.params = std::move(content_type.params);  // "Content-Type: ; charset=x"
  }
  if (part.type == "text" && param(part.params, "charset").empty())
    part.params.insert(part.params.begin(), Parameter{"charset", "us-ascii"});  // RFC 2045 §5.2
  part.id = std::string(find(fields, "Content-ID"));
  part.description = decode_words(find(fields, "Content-Description"));
  const auto cte = strip_comments(find(fields, "Content-Transfer-Encoding"));
  if (!trim(cte).empty()) part.encoding = upper(trim(cte));
  part.md5 = std::string(find(fields, "Content-MD5"));
  auto disposition = parse_structured(find(fields, "Content-Disposition"));
  part.disposition = disposition.value;
  part.disposition_params = std::move(disposition.params);
  for (const auto& tag : split_list(find(fields, "Content-Language")))
    part.language.push_back(tag);
  part.location = std::string(find(fields, "Content-Location"));
  part.filename = param(part.disposition_params, "filename");
  if (part.filename.empty()) part.filename = param(part.params, "name");

  const auto body = raw.substr(part.body_begin, part.body_end - part.body_begin);
  if (depth >= kMaxDepth) {
    part.lines = count_lines(body);
    return part;
  }
  if (part.type == "multipart") {
    const auto boundary = param(part.params, "boundary");
    if (!boundary.empty()) {
      parse_multipart(raw, part, boundary, depth);
      return part;
    }
    // multipart without a boundary cannot be split: shown as the text it is.
    part.type = "text";
    part.subtype = "plain";
  }
  if (part.type == "message" && (part.subtype == "rfc822" || part.subtype == "global") &&
      (part.encoding == "7BIT" || part.encoding == "8BIT" || part.encoding == "BINARY")) {
    auto enclosed = std::make_shared<EnclosedMessage>();
    const auto inner_fields = parse_fields(raw.substr(
        part.body_begin, header_end(raw, part.body_begin, part.body_end) - part.body_begin));
    enclosed->envelope = parse_envelope(inner_fields);
    // The top-level body is part "1" too, so what it encloses is numbered below "1". A multipart
    // enclosed body shares the message part's number; any other is numbered below it, with
    // everything inside it (RFC 9051 §6.4.5: BODY[1.1] of a message in a message).
    const std::string inner = id.empty() ? "1" : id;
    enclosed->body = parse_entity(raw, part.body_begin, part.body_end, inner, false, depth + 1);
    if (enclosed->body.children.empty()) renumber(enclosed->body, inner, inner + ".1");
    part.message = std::move(enclosed);
    part.lines = count_lines(body);
    return part;
  }
  if (part.type == "text") part.lines = count_lines(body);
  return part;
}

}  // namespace tessera::mime::detail
