#include "pop3/command.hpp"

#include <array>
#include <charconv>
#include <utility>

#include "base/ascii.hpp"

namespace tessera::pop3 {
namespace {

struct Grammar {
  std::string_view keyword;
  Verb verb;
  std::size_t min_args, max_args;
};

// RFC 1939 §9 summary, RFC 2449 §5 CAPA, RFC 2595 §4 STLS, RFC 5034 §4 AUTH.
constexpr std::array<Grammar, 15> kCommands{{
    {"USER", Verb::user, 1, 1},
    {"PASS", Verb::pass, 1, 1},
    {"APOP", Verb::apop, 2, 2},
    {"AUTH", Verb::auth, 0, 2},
    {"STLS", Verb::stls, 0, 0},
    {"CAPA", Verb::capa, 0, 0},
    {"QUIT", Verb::quit, 0, 0},
    {"STAT", Verb::stat, 0, 0},
    {"LIST", Verb::list, 0, 1},
    {"RETR", Verb::retr, 1, 1},
    {"DELE", Verb::dele, 1, 1},
    {"NOOP", Verb::noop, 0, 0},
    {"RSET", Verb::rset, 0, 0},
    {"TOP", Verb::top, 2, 2},
    {"UIDL", Verb::uidl, 0, 1},
}};

Error syntax(std::string text) {
  return make_error("pop3.syntax", std::move(text));
}

std::optional<std::uint32_t> number(std::string_view text, bool zero_allowed) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value == 0 && !zero_allowed) return std::nullopt;
  return value;
}

}  // namespace

Result<Command> parse_command(std::string_view line) {
  if (line.size() + 2 > kMaxAuthLine) return syntax("Line too long");
  for (char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return syntax("Control character in the command");
  }
  const auto space = line.find(' ');
  const auto keyword = ascii_upper(std::string(line.substr(0, space)));
  const Grammar* grammar = nullptr;
  for (const auto& g : kCommands)
    if (g.keyword == keyword) grammar = &g;
  // Only AUTH may be longer (RFC 5034 §4); anything else over 255 octets is too long, whether
  // its keyword is known or not.
  const bool is_auth = grammar != nullptr && grammar->verb == Verb::auth;
  if (!is_auth && line.size() + 2 > kMaxCommandLine) return syntax("Line too long");
  if (grammar == nullptr) return syntax("Unknown command");
  Command command;
  command.verb = grammar->verb;
  std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
  if (command.verb == Verb::pass) {
    if (!rest.empty()) command.args.emplace_back(rest);  // spaces are part of the password
  } else {
    while (!rest.empty()) {
      const auto start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      const auto end = rest.find(' ');
      command.args.emplace_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? "" : rest.substr(end);
    }
  }
  if (command.args.size() < grammar->min_args || command.args.size() > grammar->max_args)
    return syntax(command.args.size() < grammar->min_args ? "Missing argument"
                                                          : "Too many arguments");
  return command;
}

std::optional<std::uint32_t> message_number(std::string_view text) {
  return number(text, false);
}

std::optional<std::uint32_t> line_count(std::string_view text) {
  return number(text, true);
}

}  // namespace tessera::pop3
