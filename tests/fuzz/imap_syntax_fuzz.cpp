// Any bytes a client sends reach these parsers: they must end, stay in bounds, and never read
// past a literal's announced size.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "imap/fetch_items.hpp"
#include "imap/literal.hpp"
#include "imap/mutf7.hpp"
#include "imap/reader.hpp"
#include "imap/search_keys.hpp"
#include "imap/sequence_set.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::imap;
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  {
    Reader r(wire);
    while (!r.at_end()) {
      const auto before = r.position();
      (void)r.astring();
      (void)r.sp();
      if (r.position() == before) break;
    }
  }
  {
    Reader r(wire);
    if (auto set = parse_sequence_set(r)) (void)resolve(*set, 1000);
  }
  {
    Reader r(wire);
    (void)parse_fetch_items(r);
  }
  {
    Reader r(wire);
    (void)parse_search(r);
  }
  (void)trailing_literal(wire);
  if (auto utf8 = mutf7_to_utf8(wire)) {
    if (utf8_to_mutf7(*utf8) != wire) {
      // Decoding then encoding must give the canonical form back for valid input.
      if (mutf7_to_utf8(utf8_to_mutf7(*utf8)).value() != *utf8) __builtin_trap();
    }
  }
  (void)utf8_to_mutf7(wire);
  return 0;
}
