#include "smtp/reply.hpp"

namespace tessera::smtp {

std::string format(const Reply& reply) {
  std::string out;
  std::string_view text = reply.text;
  const std::string code = std::to_string(reply.code);
  for (;;) {
    const auto nl = text.find('\n');
    out += code;
    out += nl == std::string_view::npos ? ' ' : '-';
    if (!reply.enhanced.empty()) {
      out += reply.enhanced;
      out += ' ';
    }
    out += text.substr(0, nl);
    out += "\r\n";
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

namespace replies {
Reply ok() {
  return {250, "2.0.0", "Ok"};
}
Reply syntax_error(std::string_view text) {
  return {501, "5.5.4", std::string(text)};
}
Reply bad_sequence(std::string_view text) {
  return {503, "5.5.1", std::string(text)};
}
Reply unrecognized() {
  return {500, "5.5.2", "Error: command not recognized"};
}
Reply line_too_long() {
  return {500, "5.5.2", "Error: line too long"};
}
Reply temporary_failure(std::string_view text) {
  return {451, "4.3.0", std::string(text)};
}
}  // namespace replies

}  // namespace tessera::smtp
