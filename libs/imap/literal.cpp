#include "imap/literal.hpp"

#include <charconv>

namespace tessera::imap {

std::optional<LiteralHeader> trailing_literal(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  const auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto digits = line.substr(open + 1, line.size() - open - 2);
  LiteralHeader header;
  if (!digits.empty() && digits.back() == '+') {
    header.synchronizing = false;
    digits.remove_suffix(1);
  }
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), header.size);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  header.binary = open > 0 && line[open - 1] == '~';
  return header;
}

}  // namespace tessera::imap
