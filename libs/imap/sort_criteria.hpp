// SORT criteria (RFC 5256 §3, DISPLAYFROM/DISPLAYTO of RFC 5957 §3) and THREAD's algorithm name
// (RFC 5256 §5). Pure, fuzzed with the other IMAP syntax.
#pragma once

#include <vector>

#include "base/result.hpp"
#include "imap/reader.hpp"

namespace tessera::imap {

struct SortCriterion {
  enum class Key { arrival, cc, date, from, size, subject, to, display_from, display_to };
  Key key = Key::arrival;
  bool reverse = false;  // REVERSE applies to this criterion only
};

// sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
Result<std::vector<SortCriterion>> parse_sort_criteria(Reader& reader);

enum class ThreadAlgorithm { ordered_subject, references };
// thread-alg = atom: ORDEREDSUBJECT or REFERENCES, any case.
Result<ThreadAlgorithm> parse_thread_algorithm(Reader& reader);

}  // namespace tessera::imap
