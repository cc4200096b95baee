// A cursor over one IMAP command as it arrived on the wire (literals included, RFC 9051 §4.3),
// with the grammar's primitives (RFC 9051 §9). Pure and allocation-light: every error is a
// value whose message is the text of the BAD reply, naming what was expected and where.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tessera::imap {

class Reader {
 public:
  explicit Reader(std::string_view wire) : wire_(wire) {}

  bool at_end() const { return pos_ >= wire_.size(); }
  std::size_t position() const { return pos_; }
  char peek() const { return at_end() ? '\0' : wire_[pos_]; }
  std::string_view rest() const { return wire_.substr(pos_); }
  void seek(std::size_t position) { pos_ = position < wire_.size() ? position : wire_.size(); }

  Status sp();            // exactly one SP
  bool try_char(char c);  // consumes `c` if next
  Status expect(char c);
  // RFC 9051 §9 atom: 1*ATOM-CHAR.
  Result<std::string> atom();
  // tag: 1*<ASTRING-CHAR except "+">.
  Result<std::string> tag();
  // astring = 1*ASTRING-CHAR / string (ASTRING-CHAR = ATOM-CHAR / resp-specials "]").
  Result<std::string> astring();
  // string = quoted / literal (synchronising "{n}" or non-synchronising "{n+}", RFC 7888).
  Result<std::string> string();
  // nstring = string / "NIL"; nullopt for NIL.
  Result<std::optional<std::string>> nstring();
  Result<std::uint32_t> number();     // 1*DIGIT, at most 2^32-1
  Result<std::uint64_t> number64();   // mod-sequence values (RFC 7162)
  Result<std::uint32_t> nz_number();  // no leading zero, not 0
  // "(" elem *(SP elem) ")" with `elem` parsed by the callback; empty lists allowed if `empty_ok`.
  template <typename F>
  Status list(F&& elem, bool empty_ok = true) {
    if (auto ok = expect('('); !ok) return ok;
    if (try_char(')')) {
      if (!empty_ok) return error("empty list");
      return {};
    }
    for (;;) {
      if (auto ok = elem(); !ok) return ok;
      if (try_char(')')) return {};
      if (auto ok = sp(); !ok) return ok;
    }
  }
  // Error at the current position: code "imap.syntax".
  Error error(std::string_view what) const;

 private:
  std::string_view wire_;
  std::size_t pos_ = 0;
};

bool is_atom_char(char c);     // RFC 9051 §9 ATOM-CHAR
bool is_astring_char(char c);  // ATOM-CHAR / "]"

}  // namespace tessera::imap
