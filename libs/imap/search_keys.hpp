// SEARCH criteria (RFC 9051 §6.4.4, RFC 3501 §6.4.4 including the IMAP4rev1-only keys, MODSEQ of
// RFC 7162 §3.1.5) and ESEARCH return options (RFC 4731, SAVE of RFC 5182), parsed into a tree
// the imap service evaluates. Pure: no I/O, fuzzed with the other IMAP syntax.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "imap/reader.hpp"
#include "imap/sequence_set.hpp"

namespace tessera::imap {

struct SearchKey {
  enum class Kind {
    all,
    and_,
    or_,
    not_,  // structure: and_ = a parenthesised list
    sequence,
    uid,  // message numbers / UIDs (a set, "$" allowed)
    answered,
    deleted,
    draft,
    flagged,
    seen,
    recent,
    new_,
    old,      // flags (negated via not_)
    keyword,  // text = the keyword
    before,
    on,
    since,  // internal date, `day` = days since 1970-01-01
    sent_before,
    sent_on,
    sent_since,  // Date header
    larger,
    smaller,  // RFC822.SIZE vs `number`
    from,
    to,
    cc,
    bcc,
    subject,  // address/subject headers contain `text`
    header,   // field `field` contains `text` (empty text: field exists)
    body,
    text,    // body / whole message contains `text`
    modseq,  // modseq >= `number` (RFC 7162)
  };
  Kind kind = Kind::all;
  std::string text;
  std::string field;  // HEADER's field name
  std::uint64_t number = 0;
  std::int64_t day = 0;
  SequenceSet set;
  std::vector<SearchKey> children;  // and_, or_ (two), not_ (one)
};

// RETURN (...) of ESEARCH: which result items are wanted.
struct SearchReturn {
  bool min = false, max = false, all = false, count = false, save = false;
  bool present = false;  // a RETURN clause was given: answer with ESEARCH
};

struct SearchProgram {
  std::optional<std::string> charset;  // as given, upper case
  SearchReturn result;
  SearchKey root;            // an and_ over the top-level keys
  bool uses_modseq = false;  // a MODSEQ key: the reply adds (MODSEQ n) (RFC 7162 §3.1.5)
};

// After "SEARCH " (or "UID SEARCH "): [RETURN (...)] [CHARSET x] key *(SP key).
Result<SearchProgram> parse_search(Reader& reader);
// search-criteria of SORT and THREAD (RFC 5256 §5): charset 1*(SP search-key), charset required.
Result<SearchProgram> parse_search_criteria(Reader& reader);

}  // namespace tessera::imap
