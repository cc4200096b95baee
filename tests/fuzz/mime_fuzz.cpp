// Any bytes are a message the store may be asked to keep: parse() must finish, in bounds, and
// every offset it reports must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/mime.hpp"

namespace {
void check(const tessera::mime::Part& part, std::size_t size) {
  if (part.header_begin > part.header_end || part.header_end > size ||
      part.body_begin > part.body_end || part.body_end > size)
    std::abort();
  for (const auto& child : part.children)
    check(child, size);
  if (part.message) check(part.message->body, size);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const auto message = tessera::mime::parse(raw);
  check(message.body, size);
  (void)tessera::mime::decode_transfer(raw, "base64");
  (void)tessera::mime::decode_transfer(raw, "quoted-printable");
  (void)tessera::mime::decode_words(raw);
  return 0;
}
