#include "fetch_format.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "base/ascii.hpp"
#include "response.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

std::string nstring(std::string_view text) {
  return text.empty() ? "NIL" : imap_string(text);
}

// An address list with RFC 5322 groups as IMAP group markers: (NIL NIL "group" NIL) ...
// (NIL NIL NIL NIL). An empty group is one member without an address.
std::string addresses(const google::protobuf::RepeatedPtrField<v1::Address>& list) {
  if (list.empty()) return "NIL";
  std::string out = "(";
  std::string group;
  for (const auto& a : list) {
    if (a.group() != group) {
      if (!group.empty()) out += "(NIL NIL NIL NIL)";
      group = a.group();
      if (!group.empty()) out += "(NIL NIL " + imap_string(group) + " NIL)";
    }
    if (a.local_part().empty() && a.domain().empty() && !group.empty()) continue;
    out += "(" + nstring(a.raw_name()) + " " + nstring(a.route()) + " " + nstring(a.local_part()) +
           " " + nstring(a.domain()) + ")";
  }
  if (!group.empty()) out += "(NIL NIL NIL NIL)";
  return out + ")";
}

std::string params(const google::protobuf::RepeatedPtrField<v1::Parameter>& list) {
  if (list.empty()) return "NIL";
  std::string out = "(";
  for (int i = 0; i < list.size(); ++i) {
    if (i > 0) out += " ";
    out += imap_string(ascii_upper(list[i].name())) + " " + imap_string(list[i].value());
  }
  return out + ")";
}

// body-ext-1part / body-ext-mpart tail: disposition, language, location (RFC 9051 §9).
std::string extension_tail(const v1::BodyPart& part) {
  std::string out = " ";
  if (part.disposition().empty()) {
    out += "NIL";
  } else {
    out += "(" + imap_string(ascii_upper(part.disposition())) + " " +
           params(part.disposition_params()) + ")";
  }
  out += " ";
  if (part.language().empty()) {
    out += "NIL";
  } else {
    out += "(";
    for (int i = 0; i < part.language_size(); ++i)
      out += (i ? " " : "") + imap_string(part.language(i));
    out += ")";
  }
  return out + " " + nstring(part.location());
}

}  // namespace

std::string format_envelope(const v1::Envelope& e) {
  const auto& sender = e.sender().empty() ? e.from() : e.sender();
  const auto& reply_to = e.reply_to().empty() ? e.from() : e.reply_to();
  return "(" + nstring(e.date()) + " " + nstring(e.raw_subject()) + " " + addresses(e.from()) +
         " " + addresses(sender) + " " + addresses(reply_to) + " " + addresses(e.to()) + " " +
         addresses(e.cc()) + " " + addresses(e.bcc()) + " " + nstring(e.in_reply_to()) + " " +
         nstring(e.message_id()) + ")";
}

std::string format_body(const v1::BodyPart& part, bool extended) {
  if (!part.children().empty()) {
    std::string out = "(";
    for (const auto& child : part.children())
      out += format_body(child, extended);
    out += " " + imap_string(ascii_upper(part.subtype()));
    if (extended) out += " " + params(part.params()) + extension_tail(part);
    return out + ")";
  }
  std::string out = "(" + imap_string(ascii_upper(part.type())) + " " +
                    imap_string(ascii_upper(part.subtype())) + " " + params(part.params()) + " " +
                    nstring(part.id()) + " " + nstring(part.description()) + " " +
                    imap_string(part.encoding()) + " " + std::to_string(part.size());
  if (part.type() == "message" && (part.subtype() == "rfc822" || part.subtype() == "global") &&
      part.has_message_body()) {
    out += " " + format_envelope(part.message_envelope()) + " " +
           format_body(part.message_body(), extended) + " " + std::to_string(part.lines());
  } else if (part.type() == "text") {
    out += " " + std::to_string(part.lines());
  }
  if (extended) out += " " + nstring(part.md5()) + extension_tail(part);
  return out + ")";
}

std::string format_flags(const v1::Flags& flags, bool recent) {
  std::string out = "(";
  auto add = [&](std::string_view flag) {
    if (out.size() > 1) out += " ";
    out += flag;
  };
  for (auto flag : flags.system()) {
    switch (flag) {
      case v1::SYSTEM_FLAG_SEEN:
        add("\\Seen");
        break;
      case v1::SYSTEM_FLAG_ANSWERED:
        add("\\Answered");
        break;
      case v1::SYSTEM_FLAG_FLAGGED:
        add("\\Flagged");
        break;
      case v1::SYSTEM_FLAG_DELETED:
        add("\\Deleted");
        break;
      case v1::SYSTEM_FLAG_DRAFT:
        add("\\Draft");
        break;
      default:
        break;
    }
  }
  for (const auto& keyword : flags.keywords())
    add(keyword);
  if (recent) add("\\Recent");
  return out + ")";
}

std::string format_internal_date(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "\"%d-%b-%Y %H:%M:%S +0000\"", &tm);
  return buffer;
}

std::string select_header_fields(std::string_view header, const std::vector<std::string>& names,
                                 bool exclude) {
  std::string out;
  bool keep = false;
  std::size_t at = 0;
  while (at < header.size()) {
    auto eol = header.find('\n', at);
    const auto next = eol == std::string_view::npos ? header.size() : eol + 1;
    const auto line = header.substr(at, next - at);
    at = next;
    if (line == "\r\n" || line == "\n") break;
    if (line[0] != ' ' && line[0] != '\t') {
      const auto colon = line.find(':');
      const auto name = ascii_upper(line.substr(0, colon == std::string_view::npos ? 0 : colon));
      const bool listed = std::find(names.begin(), names.end(), name) != names.end();
      keep = colon != std::string_view::npos && listed != exclude;
    }
    if (keep) out += line;
  }
  return out + "\r\n";
}

}  // namespace tessera::imap
