#include "imap/sort_criteria.hpp"

#include <array>
#include <utility>

#include "base/ascii.hpp"

namespace tessera::imap {

Result<std::vector<SortCriterion>> parse_sort_criteria(Reader& reader) {
  using Key = SortCriterion::Key;
  static constexpr std::array<std::pair<std::string_view, Key>, 9> kKeys = {{
      {"ARRIVAL", Key::arrival},
      {"CC", Key::cc},
      {"DATE", Key::date},
      {"FROM", Key::from},
      {"SIZE", Key::size},
      {"SUBJECT", Key::subject},
      {"TO", Key::to},
      {"DISPLAYFROM", Key::display_from},
      {"DISPLAYTO", Key::display_to},
  }};
  std::vector<SortCriterion> criteria;
  bool reverse = false;
  auto parsed = reader.list(
      [&]() -> Status {
        auto word = reader.atom();
        if (!word) return word.error();
        const auto name = ascii_upper(*word);
        // "REVERSE" SP sort-key: one REVERSE, then a key within this same element.
        if (name == "REVERSE" && !reverse) {
          reverse = true;
          if (auto ok = reader.sp(); !ok) return ok;
          word = reader.atom();
          if (!word) return word.error();
        }
        const auto key_name = ascii_upper(*word);
        for (const auto& [spelling, key] : kKeys) {
          if (key_name != spelling) continue;
          criteria.push_back({key, reverse});
          reverse = false;
          return {};
        }
        return reader.error("unknown sort key " + key_name);
      },
      false);
  if (!parsed) return parsed.error();
  return criteria;
}

Result<ThreadAlgorithm> parse_thread_algorithm(Reader& reader) {
  auto word = reader.atom();
  if (!word) return word.error();
  const auto name = ascii_upper(*word);
  if (name == "ORDEREDSUBJECT") return ThreadAlgorithm::ordered_subject;
  if (name == "REFERENCES") return ThreadAlgorithm::references;
  return reader.error("unknown threading algorithm " + name);
}

}  // namespace tessera::imap
