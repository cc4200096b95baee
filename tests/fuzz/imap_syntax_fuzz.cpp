// Any bytes a client sends reach these parsers: they must end, stay in bounds, and never read
// past a literal's announced size.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "imap/fetch_items.hpp"
#include "imap/list_command.hpp"
#include "imap/literal.hpp"
#include "imap/modifiers.hpp"
#include "imap/mutf7.hpp"
#include "imap/reader.hpp"
#include "imap/search_keys.hpp"
#include "imap/sequence_set.hpp"
#include "imap/sort_criteria.hpp"
#include "imap/threading.hpp"

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
  {
    Reader select(wire), fetch(wire), store(wire);
    (void)parse_select_params(select);
    (void)parse_fetch_modifiers(fetch);
    (void)parse_store_modifiers(store);
  }
  {
    Reader sort(wire), criteria(wire), algorithm(wire), list(wire), status(wire);
    (void)parse_list(list);
    (void)parse_status_items(status);
    (void)parse_sort_criteria(sort);
    (void)parse_search_criteria(criteria);
    (void)parse_thread_algorithm(algorithm);
  }
  {
    // Lines "message-id ref ref ..." with few distinct ids, so loops, duplicate ids and missing
    // parents are common: the threaders must end and name every message exactly once.
    std::vector<ThreadMessage> messages;
    std::size_t at = 0;
    while (at < wire.size() && messages.size() < 64) {
      auto end = wire.find('\n', at);
      if (end == std::string_view::npos) end = wire.size();
      ThreadMessage m;
      m.number = m.sequence = static_cast<std::uint32_t>(messages.size() + 1);
      for (std::size_t i = at; i < end; ++i) {
        const std::string id(1, static_cast<char>('a' + static_cast<unsigned char>(wire[i]) % 8));
        if (i == at) {
          m.message_id = id;
          m.base_subject = id;
          m.reply_subject = (wire[i] & 1) != 0;
          m.sent = static_cast<unsigned char>(wire[i]) % 5;
        } else {
          m.references.push_back(id);
        }
      }
      messages.push_back(std::move(m));
      at = end + 1;
    }
    for (const auto& threads : {thread_references(messages), thread_ordered_subject(messages)}) {
      const auto text = format_threads(threads);
      std::size_t numbers = 0;
      for (std::size_t i = 0; i < text.size(); ++i)
        if (std::isdigit(static_cast<unsigned char>(text[i])) &&
            (i + 1 == text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 1]))))
          ++numbers;
      if (numbers != messages.size()) __builtin_trap();
    }
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
