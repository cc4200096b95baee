// The parenthesised modifiers RFC 7162 adds to SELECT/EXAMINE, FETCH and STORE: pure parsers
// over a Reader, positioned just after the SP that precedes the "(".
#pragma once

#include <cstdint>
#include <optional>

#include "base/result.hpp"
#include "imap/reader.hpp"
#include "imap/sequence_set.hpp"

namespace tessera::imap {

// QRESYNC (uidvalidity mod-sequence [known-uids] [(known-sequence-set known-uid-set)])
// (RFC 7162 §3.2.5). The sequence-match data only narrows what the server must report; it is
// parsed and checked, not needed by a server that reads its change log.
struct QresyncParam {
  std::uint32_t uid_validity = 0;
  std::uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
};

// select-params (RFC 7162 §3.1.8, §3.2.5; RFC 4466 §2.1 grammar).
struct SelectParams {
  bool condstore = false;
  std::optional<QresyncParam> qresync;
};
Result<SelectParams> parse_select_params(Reader& reader);

// fetch-modifiers: (CHANGEDSINCE mod-sequence [VANISHED]) (RFC 7162 §3.1.4.1, §3.2.6).
struct FetchModifiers {
  std::optional<std::uint64_t> changed_since;
  bool vanished = false;
};
Result<FetchModifiers> parse_fetch_modifiers(Reader& reader);

// store-modifier: (UNCHANGEDSINCE mod-sequence) (RFC 7162 §3.1.3).
struct StoreModifiers {
  std::optional<std::uint64_t> unchanged_since;
};
Result<StoreModifiers> parse_store_modifiers(Reader& reader);

}  // namespace tessera::imap
