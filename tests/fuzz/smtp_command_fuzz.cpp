// Any bytes an SMTP client sends reach these parsers: they must end, stay in bounds, and give a
// reply for every failure; the DATA decoder must never emit more than it was fed plus the CR
// of each bare-LF line end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/command.hpp"
#include "smtp/data_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::smtp;
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  const Extensions extensions{.max_size = 52428800};
  const auto command = split_command(wire);
  auto check = [](const auto& result) {
    if (!result && reply_of(result.error()).code < 400) std::abort();
  };
  check(parse_mail(command.args, extensions));
  check(parse_rcpt(command.args, extensions));
  check(parse_bdat(command.args));
  check(parse_hello(command.args));
  (void)parse_path(wire, true);
  if (auto decoded = decode_xtext(wire)) {
    if (decode_xtext(encode_xtext(*decoded)) != decoded) std::abort();
  }
  DataDecoder decoder;
  std::string out;
  std::size_t fed = 0;
  for (std::size_t at = 0; at < wire.size();) {
    const auto piece = wire.substr(at, 1 + (at % 7));
    const auto step = decoder.feed(piece, out);
    if (step.consumed > piece.size()) std::abort();
    at += step.consumed;
    fed += step.consumed;
    if (step.done) break;
  }
  if (out.size() > 2 * fed) std::abort();
  return 0;
}
