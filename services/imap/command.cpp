#include "command.hpp"

#include <algorithm>
#include <cctype>

namespace tessera::imap {

bool is_tag_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  // ATOM-CHAR excludes CTL, SP and atom-specials "(){%*\"\\]"; ASTRING-CHAR adds "]" back
  // (resp-specials); a tag also excludes "+" (RFC 9051 §9).
  if (u <= 0x1f || u >= 0x7f || c == ' ') return false;
  return std::string_view("(){%*\"\\+").find(c) == std::string_view::npos;
}

Result<CommandLine> parse_command_line(std::string_view line) {
  const auto tag_end = line.find(' ');
  const std::string_view tag = line.substr(0, tag_end);
  if (tag.empty() || !std::all_of(tag.begin(), tag.end(), is_tag_char)) {
    return make_error("imap.no_tag", "Missing or invalid tag");
  }
  if (tag_end == std::string_view::npos || tag_end + 1 >= line.size()) {
    return make_error("imap.bad_command", "Missing command name");
  }
  std::string_view rest = line.substr(tag_end + 1);
  const auto name_end = rest.find(' ');
  std::string name(rest.substr(0, name_end));
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) != 0;
      })) {
    return make_error("imap.bad_command", "Invalid command name");
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string arguments =
      name_end == std::string_view::npos ? std::string() : std::string(rest.substr(name_end + 1));
  return CommandLine{std::string(tag), std::move(name), std::move(arguments)};
}

}  // namespace tessera::imap
