#include "fixups.hpp"

#include "base/ascii.hpp"
#include "smtp/trace.hpp"

namespace tessera::relay {
namespace {

// The field name of a line that starts a field ("Bcc" of "Bcc: x"), upper case; empty for a
// continuation line or a line without a colon.
std::string field_name(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') return {};
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  auto name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
    name.remove_suffix(1);
  return ascii_upper(name);
}

}  // namespace

std::size_t header_length(std::string_view message) {
  std::size_t at = 0;
  while (at < message.size()) {
    const auto lf = message.find('\n', at);
    if (lf == std::string_view::npos) return std::string_view::npos;
    const auto line = message.substr(at, lf - at);
    at = lf + 1;
    if (line.empty() || line == "\r") return at;
  }
  return std::string_view::npos;
}

std::optional<std::string> fix_header(std::string_view header, const FixupContext& context) {
  std::string kept;
  bool changed = false;
  bool has_date = false;
  bool has_message_id = false;
  bool in_bcc = false;
  std::size_t at = 0;
  std::string_view end_line;
  while (at < header.size()) {
    auto lf = header.find('\n', at);
    if (lf == std::string_view::npos) lf = header.size() - 1;
    const auto line = header.substr(at, lf + 1 - at);
    at = lf + 1;
    if (line == "\r\n" || line == "\n") {
      end_line = line;
      break;
    }
    const auto name = field_name(line);
    if (!name.empty()) in_bcc = name == "BCC";
    if (name == "DATE") has_date = true;
    if (name == "MESSAGE-ID") has_message_id = true;
    if (in_bcc) {
      changed = true;  // the field and its continuation lines go
      continue;
    }
    kept += line;
  }
  std::string added;
  if (!has_date) added += "Date: " + smtp::rfc5322_date(context.unix_ms) + "\r\n";
  if (!has_message_id) added += "Message-ID: <" + context.id + "@" + context.hostname + ">\r\n";
  if (!changed && added.empty()) return std::nullopt;
  return kept + added + std::string(end_line.empty() ? "\r\n" : end_line);
}

Result<std::optional<smtp::Spool>> apply_fixups(const smtp::Spool& message,
                                                const std::string& spool_directory,
                                                std::size_t spool_memory,
                                                const FixupContext& context) {
  const auto head = message.head();
  auto length = header_length(head);
  if (length == std::string_view::npos) {
    if (head.size() != message.size()) return std::optional<smtp::Spool>();  // too long to fix
    length = head.size();  // a message of header fields only
  }
  auto header = fix_header(head.substr(0, length), context);
  if (!header) return std::optional<smtp::Spool>();
  smtp::Spool fixed(spool_directory, spool_memory);
  if (auto ok = fixed.append(*header); !ok) return ok.error();
  constexpr std::size_t kChunk = 1 << 20;
  for (std::size_t offset = length; offset < message.size(); offset += kChunk) {
    auto piece = message.read(offset, kChunk);
    if (!piece) return piece.error();
    if (auto ok = fixed.append(*piece); !ok) return ok.error();
  }
  return std::optional<smtp::Spool>(std::move(fixed));
}

}  // namespace tessera::relay
