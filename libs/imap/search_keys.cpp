#include "imap/search_keys.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string_view>

#include "base/ascii.hpp"
#include "imap/date_time.hpp"

namespace tessera::imap {
namespace {

using Kind = SearchKey::Kind;

// Keys without arguments.
std::optional<SearchKey> simple(const std::string& name) {
  struct Entry {
    const char* name;
    Kind kind;
    bool negated;
  };
  static constexpr Entry kSimple[] = {
      {"ALL", Kind::all, false},          {"ANSWERED", Kind::answered, false},
      {"DELETED", Kind::deleted, false},  {"DRAFT", Kind::draft, false},
      {"FLAGGED", Kind::flagged, false},  {"SEEN", Kind::seen, false},
      {"RECENT", Kind::recent, false},    {"NEW", Kind::new_, false},
      {"OLD", Kind::old, false},          {"UNANSWERED", Kind::answered, true},
      {"UNDELETED", Kind::deleted, true}, {"UNDRAFT", Kind::draft, true},
      {"UNFLAGGED", Kind::flagged, true}, {"UNSEEN", Kind::seen, true},
  };
  for (const auto& e : kSimple) {
    if (name != e.name) continue;
    SearchKey key;
    key.kind = e.kind;
    if (!e.negated) return key;
    SearchKey negation;
    negation.kind = Kind::not_;
    negation.children.push_back(std::move(key));
    return negation;
  }
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(Reader& r) : r_(r) {}

  Result<SearchKey> key(int depth) {
    // Bounded nesting: a parser that recursed on "NOT NOT NOT ..." without end could be
    // driven out of stack by one command line.
    if (depth > 100) return r_.error("search criteria nested too deeply");
    if (r_.peek() == '(') {
      SearchKey group;
      group.kind = Kind::and_;
      auto ok = r_.list(
          [&]() -> Status {
            auto child = key(depth + 1);
            if (!child) return child.error();
            group.children.push_back(std::move(*child));
            return {};
          },
          false);
      if (!ok) return ok.error();
      return group;
    }
    if (std::isdigit(static_cast<unsigned char>(r_.peek())) || r_.peek() == '*' ||
        r_.peek() == '$') {
      auto set = parse_sequence_set(r_);
      if (!set) return set.error();
      SearchKey k;
      k.kind = Kind::sequence;
      k.set = std::move(*set);
      return k;
    }
    auto word = r_.atom();
    if (!word) return r_.error("expected a search key");
    const auto name = ascii_upper(*word);
    if (auto k = simple(name)) return *k;
    SearchKey k;
    if (name == "NOT" || name == "OR") {
      k.kind = name == "NOT" ? Kind::not_ : Kind::or_;
      for (int i = 0; i < (name == "NOT" ? 1 : 2); ++i) {
        if (auto ok = r_.sp(); !ok) return ok.error();
        auto child = key(depth + 1);
        if (!child) return child.error();
        k.children.push_back(std::move(*child));
      }
      return k;
    }
    static const std::string_view kWithArgument[] = {
        "UID", "KEYWORD", "UNKEYWORD",  "LARGER", "SMALLER",   "MODSEQ", "BEFORE",
        "ON",  "SINCE",   "SENTBEFORE", "SENTON", "SENTSINCE", "FROM",   "TO",
        "CC",  "BCC",     "SUBJECT",    "BODY",   "TEXT",      "HEADER"};
    if (std::find(std::begin(kWithArgument), std::end(kWithArgument), name) ==
        std::end(kWithArgument))
      return r_.error("unknown search key " + name);
    if (auto ok = r_.sp(); !ok) return r_.error("search key " + name + " needs an argument");
    if (name == "UID") {
      auto set = parse_sequence_set(r_);
      if (!set) return set.error();
      k.kind = Kind::uid;
      k.set = std::move(*set);
      return k;
    }
    if (name == "KEYWORD" || name == "UNKEYWORD") {
      auto flag = r_.atom();
      if (!flag) return flag.error();
      k.kind = Kind::keyword;
      k.text = *flag;
      return name == "KEYWORD" ? k : negate(std::move(k));
    }
    if (name == "LARGER" || name == "SMALLER") {
      auto n = r_.number64();
      if (!n) return n.error();
      k.kind = name == "LARGER" ? Kind::larger : Kind::smaller;
      k.number = *n;
      return k;
    }
    if (name == "MODSEQ") return modseq();
    static const std::pair<const char*, Kind> kDates[] = {
        {"BEFORE", Kind::before},  {"ON", Kind::on},
        {"SINCE", Kind::since},    {"SENTBEFORE", Kind::sent_before},
        {"SENTON", Kind::sent_on}, {"SENTSINCE", Kind::sent_since}};
    for (const auto& [n, kind] : kDates) {
      if (name != n) continue;
      auto text = r_.astring();
      if (!text) return text.error();
      auto day = parse_date(*text);
      if (!day) return r_.error("bad date " + *text);
      k.kind = kind;
      k.day = *day;
      return k;
    }
    static const std::pair<const char*, Kind> kTexts[] = {
        {"FROM", Kind::from},       {"TO", Kind::to},     {"CC", Kind::cc},    {"BCC", Kind::bcc},
        {"SUBJECT", Kind::subject}, {"BODY", Kind::body}, {"TEXT", Kind::text}};
    for (const auto& [n, kind] : kTexts) {
      if (name != n) continue;
      auto text = r_.astring();
      if (!text) return text.error();
      k.kind = kind;
      k.text = std::move(*text);
      return k;
    }
    if (name == "HEADER") {
      auto field = r_.astring();
      if (!field) return field.error();
      if (auto ok = r_.sp(); !ok) return ok.error();
      auto text = r_.astring();
      if (!text) return text.error();
      k.kind = Kind::header;
      k.field = ascii_upper(*field);
      k.text = std::move(*text);
      return k;
    }
    return r_.error("unknown search key " + name);
  }

  bool used_modseq = false;

 private:
  static SearchKey negate(SearchKey k) {
    SearchKey n;
    n.kind = Kind::not_;
    n.children.push_back(std::move(k));
    return n;
  }

  // MODSEQ [entry-name SP entry-type-req SP] mod-sequence-valzer (RFC 7162 §3.1.5); the
  // per-flag entry is accepted and, as in Dovecot, the message's one modseq is compared.
  Result<SearchKey> modseq() {
    if (r_.peek() == '"') {
      auto entry = r_.string();
      if (!entry) return entry.error();
      if (auto ok = r_.sp(); !ok) return ok.error();
      auto type = r_.atom();
      if (!type) return type.error();
      const auto t = ascii_upper(*type);
      if (t != "PRIV" && t != "SHARED" && t != "ALL") return r_.error("bad entry type " + *type);
      if (auto ok = r_.sp(); !ok) return ok.error();
    }
    auto n = r_.number64();
    if (!n) return n.error();
    used_modseq = true;
    SearchKey k;
    k.kind = Kind::modseq;
    k.number = *n;
    return k;
  }

  Reader& r_;
};

// RETURN (MIN MAX ALL COUNT SAVE); "RETURN ()" means ALL (RFC 4731 §3.1).
Status return_options(Reader& r, SearchReturn& out) {
  out.present = true;
  auto ok = r.list([&]() -> Status {
    auto word = r.atom();
    if (!word) return word.error();
    const auto name = ascii_upper(*word);
    if (name == "MIN")
      out.min = true;
    else if (name == "MAX")
      out.max = true;
    else if (name == "ALL")
      out.all = true;
    else if (name == "COUNT")
      out.count = true;
    else if (name == "SAVE")
      out.save = true;
    else
      return r.error("unknown RETURN option " + name);
    return {};
  });
  if (!ok) return ok;
  if (!out.min && !out.max && !out.count && !out.save) out.all = true;
  return {};
}

// key *(SP key) up to the end of the command.
Status search_keys(Reader& r, SearchProgram& program) {
  Parser parser(r);
  for (;;) {
    auto key = parser.key(0);
    if (!key) return key.error();
    program.root.children.push_back(std::move(*key));
    if (r.at_end()) break;
    if (auto ok = r.sp(); !ok) return ok;
  }
  program.uses_modseq = parser.used_modseq;
  return {};
}

}  // namespace

Result<SearchProgram> parse_search(Reader& r) {
  SearchProgram program;
  program.root.kind = Kind::and_;
  // "WORD " if it comes next; otherwise nothing is consumed.
  auto leading = [&r](std::string_view word) {
    const auto start = r.position();
    auto name = r.atom();
    if (name && ascii_upper(*name) == word && r.try_char(' ')) return true;
    r.seek(start);
    return false;
  };
  if (leading("RETURN")) {
    if (auto ok = return_options(r, program.result); !ok) return ok.error();
    if (auto ok = r.sp(); !ok) return ok.error();
  }
  if (leading("CHARSET")) {
    auto charset = r.astring();
    if (!charset) return charset.error();
    program.charset = ascii_upper(*charset);
    if (auto ok = r.sp(); !ok) return ok.error();
  }
  if (auto ok = search_keys(r, program); !ok) return ok.error();
  return program;
}

Result<SearchProgram> parse_search_criteria(Reader& r) {
  SearchProgram program;
  program.root.kind = Kind::and_;
  auto charset = r.astring();
  if (!charset) return charset.error();
  program.charset = ascii_upper(*charset);
  if (auto ok = r.sp(); !ok) return ok.error();
  if (auto ok = search_keys(r, program); !ok) return ok.error();
  return program;
}

}  // namespace tessera::imap
