// RFC 7162 §7 (formal syntax) on top of RFC 4466 §2: each modifier at most once, names in any
// case, mod-sequence-value positive where the grammar says so.
#include "imap/modifiers.hpp"

#include "base/ascii.hpp"

namespace tessera::imap {
namespace {

// mod-sequence-value = 1*DIGIT, 1 .. 2^63-1 (RFC 7162 §7).
Result<std::uint64_t> mod_sequence(Reader& reader, bool zero_ok) {
  auto value = reader.number64();
  if (!value) return value.error();
  if ((*value == 0 && !zero_ok) || *value > 0x7FFF'FFFF'FFFF'FFFFULL)
    return reader.error("mod-sequence out of range");
  return *value;
}

// known-uids and known-sequence-set: sequence sets without "$" or "*" being meaningful here.
Result<SequenceSet> plain_set(Reader& reader) {
  auto set = parse_sequence_set(reader);
  if (!set) return set.error();
  if (set->saved) return reader.error("\"$\" is not allowed here");
  return set;
}

Status qresync(Reader& reader, QresyncParam& out) {
  if (auto ok = reader.expect('('); !ok) return ok;
  auto validity = reader.nz_number();
  if (!validity) return validity.error();
  out.uid_validity = *validity;
  if (auto ok = reader.sp(); !ok) return ok;
  auto modseq = mod_sequence(reader, false);
  if (!modseq) return modseq.error();
  out.modseq = *modseq;
  if (reader.try_char(')')) return {};
  if (auto ok = reader.sp(); !ok) return ok;
  if (reader.peek() != '(') {
    auto known = plain_set(reader);
    if (!known) return known.error();
    out.known_uids = std::move(*known);
    if (reader.try_char(')')) return {};
    if (auto ok = reader.sp(); !ok) return ok;
  }
  // seq-match-data = "(" known-sequence-set SP known-uid-set ")"
  if (auto ok = reader.expect('('); !ok) return ok;
  if (auto sequences = plain_set(reader); !sequences) return sequences.error();
  if (auto ok = reader.sp(); !ok) return ok;
  if (auto uids = plain_set(reader); !uids) return uids.error();
  if (auto ok = reader.expect(')'); !ok) return ok;
  return reader.expect(')');
}

}  // namespace

Result<SelectParams> parse_select_params(Reader& reader) {
  SelectParams params;
  auto parsed = reader.list(
      [&]() -> Status {
        auto name = reader.atom();
        if (!name) return name.error();
        const auto upper = ascii_upper(*name);
        if (upper == "CONDSTORE" && !params.condstore) {
          params.condstore = true;
          return {};
        }
        if (upper == "QRESYNC" && !params.qresync) {
          if (auto ok = reader.sp(); !ok) return ok;
          params.qresync.emplace();
          return qresync(reader, *params.qresync);
        }
        return reader.error("unknown or repeated SELECT parameter " + upper);
      },
      false);
  if (!parsed) return parsed.error();
  return params;
}

Result<FetchModifiers> parse_fetch_modifiers(Reader& reader) {
  FetchModifiers modifiers;
  auto parsed = reader.list(
      [&]() -> Status {
        auto name = reader.atom();
        if (!name) return name.error();
        const auto upper = ascii_upper(*name);
        if (upper == "CHANGEDSINCE" && !modifiers.changed_since) {
          if (auto ok = reader.sp(); !ok) return ok;
          auto modseq = mod_sequence(reader, false);
          if (!modseq) return modseq.error();
          modifiers.changed_since = *modseq;
          return {};
        }
        if (upper == "VANISHED" && !modifiers.vanished) {
          modifiers.vanished = true;
          return {};
        }
        return reader.error("unknown or repeated FETCH modifier " + upper);
      },
      false);
  if (!parsed) return parsed.error();
  // RFC 7162 §3.2.6: VANISHED only together with CHANGEDSINCE.
  if (modifiers.vanished && !modifiers.changed_since)
    return reader.error("VANISHED needs CHANGEDSINCE");
  return modifiers;
}

Result<StoreModifiers> parse_store_modifiers(Reader& reader) {
  StoreModifiers modifiers;
  auto parsed = reader.list(
      [&]() -> Status {
        auto name = reader.atom();
        if (!name) return name.error();
        const auto upper = ascii_upper(*name);
        if (upper != "UNCHANGEDSINCE" || modifiers.unchanged_since)
          return reader.error("unknown or repeated STORE modifier " + upper);
        if (auto ok = reader.sp(); !ok) return ok;
        // mod-sequence-valzer: UNCHANGEDSINCE 0 is legal and fails for every message.
        auto modseq = mod_sequence(reader, true);
        if (!modseq) return modseq.error();
        modifiers.unchanged_since = *modseq;
        return {};
      },
      false);
  if (!parsed) return parsed.error();
  return modifiers;
}

}  // namespace tessera::imap
