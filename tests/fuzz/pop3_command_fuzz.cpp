// Any bytes a POP3 client sends reach the command parser, and any stored message the multi-line
// encoder: both must end and stay in bounds; a parse failure always carries -ERR text; the
// encoded body never has a line that starts with a single '.' before its end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pop3/command.hpp"
#include "pop3/response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::pop3;
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  if (auto command = parse_command(wire); !command) {
    if (command.error().message.empty()) std::abort();
  } else if (command->args.size() > 2) {
    std::abort();
  }
  (void)message_number(wire);
  MultilineEncoder encoder(size % 2 == 0 ? std::optional<std::uint32_t>(size % 7) : std::nullopt);
  std::string out;
  encoder.feed(wire, out);
  encoder.finish(out);
  // The terminator comes once, at the end: no other line is a lone ".".
  if (out.size() < 3 || out.substr(out.size() - 3) != ".\r\n") std::abort();
  if (out.find("\r\n.\r\n") != out.size() - 5 && out != ".\r\n") std::abort();
  return 0;
}
