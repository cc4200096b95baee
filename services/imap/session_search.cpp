// SEARCH and UID SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4) with CHARSET UTF-8, ESEARCH result
// options (RFC 4731), SAVE and "$" (RFC 5182), MODSEQ (RFC 7162 §3.1.5). Flags, dates and sizes
// come from the store's records; address and subject keys from the cached envelope; HEADER
// reads the header and BODY/TEXT the message (a scan until the full-text index arrives).
#include <algorithm>

#include "imap/search_keys.hpp"
#include "response.hpp"
#include "rpc/client.hpp"
#include "search_match.hpp"
#include "session_impl.hpp"
#include "uid_set.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;
using Kind = SearchKey::Kind;

struct Needs {
  bool envelope = false, header = false, whole = false;
};

void analyse(const SearchKey& key, Needs& needs) {
  switch (key.kind) {
    case Kind::from:
    case Kind::to:
    case Kind::cc:
    case Kind::bcc:
    case Kind::subject:
    case Kind::sent_before:
    case Kind::sent_on:
    case Kind::sent_since:
      needs.envelope = true;
      break;
    case Kind::header:
      needs.header = true;
      break;
    case Kind::body:
    case Kind::text:
      needs.whole = true;
      break;
    default:
      break;
  }
  for (const auto& child : key.children)
    analyse(child, needs);
}

bool has(const v1::Flags& flags, v1::SystemFlag flag) {
  return std::find(flags.system().begin(), flags.system().end(), flag) != flags.system().end();
}

bool has_keyword(const v1::Flags& flags, const std::string& keyword) {
  return std::any_of(flags.keywords().begin(), flags.keywords().end(), [&](const auto& k) {
    return k.size() == keyword.size() && contains_text(k, keyword);
  });
}

// The address list as a user reads it: "Name <local@domain>", also with the name as written.
std::string addresses_text(const google::protobuf::RepeatedPtrField<v1::Address>& list) {
  std::string out;
  std::string group;
  for (const auto& a : list) {
    if (a.group() != group && !a.group().empty()) out += a.group() + ": ";
    group = a.group();
    out += a.name() + " <" + a.local_part() + "@" + a.domain() + "> " + a.raw_name() + "\n";
  }
  return out;
}

// One message as SEARCH sees it.
struct Subject {
  std::uint32_t msn = 0, uid = 0;
  std::uint32_t message_count = 0, largest_uid = 0;
  const v1::MessageRecord* record = nullptr;
  const std::vector<std::uint32_t>* saved = nullptr;
  bool recent = false;
  std::string header, whole;
  std::optional<std::string> body_text;  // decoded on first use
};

bool in_set(const SequenceSet& set, std::uint32_t value, std::uint32_t largest, const Subject& s) {
  if (set.saved) return std::binary_search(s.saved->begin(), s.saved->end(), s.uid);
  for (auto [first, last] : resolve(set, largest))
    if (value >= first && value <= last) return true;
  return false;
}

std::int64_t day_of(std::int64_t unix_ms) {
  return unix_ms >= 0 ? unix_ms / 86400000 : (unix_ms - 86399999) / 86400000;
}

bool matches(const SearchKey& key, Subject& s);

bool flag_matches(const SearchKey& key, const Subject& s) {
  const auto& flags = s.record->flags();
  switch (key.kind) {
    case Kind::answered:
      return has(flags, v1::SYSTEM_FLAG_ANSWERED);
    case Kind::deleted:
      return has(flags, v1::SYSTEM_FLAG_DELETED);
    case Kind::draft:
      return has(flags, v1::SYSTEM_FLAG_DRAFT);
    case Kind::flagged:
      return has(flags, v1::SYSTEM_FLAG_FLAGGED);
    case Kind::seen:
      return has(flags, v1::SYSTEM_FLAG_SEEN);
    case Kind::recent:
      return s.recent;
    case Kind::new_:
      return s.recent && !has(flags, v1::SYSTEM_FLAG_SEEN);
    case Kind::old:
      return !s.recent;
    default:
      return has_keyword(flags, key.text);
  }
}

bool date_matches(const SearchKey& key, const Subject& s) {
  const auto& m = *s.record;
  const auto arrived = day_of(m.internal_date_unix_ms());
  std::int64_t sent = arrived;  // no usable Date header: the arrival day
  if (auto day = sent_day(m.envelope().date())) sent = *day;
  switch (key.kind) {
    case Kind::before:
      return arrived < key.day;
    case Kind::on:
      return arrived == key.day;
    case Kind::since:
      return arrived >= key.day;
    case Kind::sent_before:
      return sent < key.day;
    case Kind::sent_on:
      return sent == key.day;
    default:
      return sent >= key.day;
  }
}

bool text_matches(const SearchKey& key, Subject& s) {
  const auto& envelope = s.record->envelope();
  switch (key.kind) {
    case Kind::from:
      return contains_text(addresses_text(envelope.from()), key.text);
    case Kind::to:
      return contains_text(addresses_text(envelope.to()), key.text);
    case Kind::cc:
      return contains_text(addresses_text(envelope.cc()), key.text);
    case Kind::bcc:
      return contains_text(addresses_text(envelope.bcc()), key.text);
    case Kind::subject:
      return contains_text(envelope.subject(), key.text) ||
             contains_text(envelope.raw_subject(), key.text);
    case Kind::header:
      return header_matches(s.header, key.field, key.text);
    default:
      if (!s.body_text) s.body_text = searchable_body(s.whole);
      return contains_text(*s.body_text, key.text) ||
             (key.kind == Kind::text && contains_text(searchable_header(s.header), key.text));
  }
}

bool matches(const SearchKey& key, Subject& s) {
  switch (key.kind) {
    case Kind::all:
      return true;
    case Kind::and_:
      return std::all_of(key.children.begin(), key.children.end(),
                         [&](const SearchKey& k) { return matches(k, s); });
    case Kind::or_:
      return matches(key.children[0], s) || matches(key.children[1], s);
    case Kind::not_:
      return !matches(key.children[0], s);
    case Kind::sequence:
      return in_set(key.set, s.msn, s.message_count, s);
    case Kind::uid:
      return in_set(key.set, s.uid, s.largest_uid, s);
    case Kind::answered:
    case Kind::deleted:
    case Kind::draft:
    case Kind::flagged:
    case Kind::seen:
    case Kind::recent:
    case Kind::new_:
    case Kind::old:
    case Kind::keyword:
      return flag_matches(key, s);
    case Kind::before:
    case Kind::on:
    case Kind::since:
    case Kind::sent_before:
    case Kind::sent_on:
    case Kind::sent_since:
      return date_matches(key, s);
    case Kind::larger:
      return s.record->size() > key.number;
    case Kind::smaller:
      return s.record->size() < key.number;
    case Kind::modseq:
      return s.record->modseq() >= key.number;
    default:
      return text_matches(key, s);
  }
}

}  // namespace

awaitable<Result<std::string>> Session::read_piece(std::uint32_t uid, bool header_only) {
  v1::GetBodyRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(selected_->mailbox_id);
  request.set_uid(uid);
  if (header_only) request.set_section(v1::SECTION_HEADER);
  auto reader =
      rpc::server_stream(settings_.store->messages->async(), &v1::Messages::Stub::async::GetBody,
                         request, {.timeout = settings_.store_timeout});
  std::string data;
  for (;;) {
    auto chunk = co_await reader->next();
    if (!chunk) co_return chunk.error();
    if (!*chunk) break;
    data += (*chunk)->data();
  }
  co_return data;
}

awaitable<Result<std::vector<Session::Found>>> Session::matching(const SearchProgram& program,
                                                                 MatchFields fields) {
  Needs needs;
  analyse(program.root, needs);
  auto& sel = *selected_;

  v1::ListMessagesRequest list;
  list.set_account_id(account_id_);
  list.set_mailbox_id(sel.mailbox_id);
  if (needs.envelope || fields.envelope) list.add_fields(v1::MESSAGE_FIELD_ENVELOPE);
  if (fields.threading) list.add_fields(v1::MESSAGE_FIELD_THREADING);
  auto listed = co_await list_records(list);
  if (!listed) co_return listed.error();
  auto& records = *listed;

  std::vector<Found> found;
  auto record = records.begin();
  for (std::size_t i = 0; i < sel.uids.size(); ++i) {
    const auto uid = sel.uids[i];
    while (record != records.end() && record->uid() < uid)
      ++record;
    if (record == records.end() || record->uid() != uid) continue;  // expunged meanwhile
    Subject s;
    s.msn = static_cast<std::uint32_t>(i + 1);
    s.uid = uid;
    s.message_count = static_cast<std::uint32_t>(sel.uids.size());
    s.largest_uid = sel.uids.back();
    s.record = &*record;
    s.saved = &sel.saved;
    s.recent = sel.recent.contains(uid);
    if (needs.header && !needs.whole) {
      auto header = co_await read_piece(uid, true);
      if (!header) continue;
      s.header = std::move(*header);
    }
    if (needs.whole) {
      auto whole = co_await read_piece(uid, false);
      if (!whole) continue;
      s.whole = std::move(*whole);
      s.header = s.whole.substr(0, s.whole.find("\r\n\r\n") + 2);
    }
    if (!matches(program.root, s)) continue;
    found.push_back(Found{s.msn, uid, std::move(*record)});
    ++record;
  }
  co_return found;
}

std::optional<std::string> Session::unsupported_charset(const SearchProgram& program) const {
  if (!program.charset || *program.charset == "UTF-8" || *program.charset == "US-ASCII")
    return std::nullopt;
  return "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset";
}

awaitable<bool> Session::search(const Command& c, Reader& args, bool by_uid) {
  auto program = parse_search(args);
  if (!program) co_return co_await tagged(c, "BAD", program.error().message);
  if (auto why = unsupported_charset(*program)) co_return co_await tagged(c, "NO", *why);
  auto found = co_await matching(*program, {});
  if (!found) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  auto& sel = *selected_;
  std::vector<std::uint32_t> found_msns, found_uids;
  for (const auto& f : *found) {
    found_msns.push_back(f.msn);
    found_uids.push_back(f.uid);
  }
  const auto& result = program->result;
  // RFC 7162 §3.1.5 with RFC 4731: the highest MODSEQ of the messages the reply names: all
  // that matched, or with only MIN and/or MAX asked, just those.
  const bool extremes_only =
      result.present && (result.min || result.max) && !result.all && !result.count;
  // RFC 5182 §2.4: likewise "$" then holds just those messages.
  auto named = [&](std::size_t i) {
    return !extremes_only || (result.min && i == 0) || (result.max && i + 1 == found->size());
  };
  std::uint64_t highest = 0;
  if (result.save) sel.saved.clear();
  for (std::size_t i = 0; i < found->size(); ++i) {
    if (!named(i)) continue;
    highest = std::max(highest, (*found)[i].record.modseq());
    if (result.save) sel.saved.push_back(found_uids[i]);
  }
  const auto& numbers = by_uid ? found_uids : found_msns;
  // RFC 7162 §3.1: SEARCH MODSEQ is a CONDSTORE-enabling command.
  std::string out = program->uses_modseq ? enable_condstore() : std::string();
  if (result.present || rev2_) {
    // RFC 4731 §3.1; SAVE alone asks for no ESEARCH response (RFC 5182 §2.4).
    const bool only_save =
        result.save && !result.min && !result.max && !result.count && !result.all;
    if (!only_save) {
      out += "* ESEARCH (TAG " + imap_string(c.tag) + ")";
      if (by_uid) out += " UID";
      const bool all = result.all || !result.present;
      if (result.min && !numbers.empty()) out += " MIN " + std::to_string(numbers.front());
      if (result.max && !numbers.empty()) out += " MAX " + std::to_string(numbers.back());
      if (result.count) out += " COUNT " + std::to_string(numbers.size());
      if (all && !numbers.empty()) out += " ALL " + format_uid_set(numbers);
      if (program->uses_modseq && !numbers.empty()) out += " MODSEQ " + std::to_string(highest);
      out += "\r\n";
    }
  } else {
    out += "* SEARCH";
    for (auto n : numbers)
      out += " " + std::to_string(n);
    if (program->uses_modseq && !numbers.empty())
      out += " (MODSEQ " + std::to_string(highest) + ")";
    out += "\r\n";
  }
  co_return co_await complete(c, std::move(out),
                              by_uid ? "UID SEARCH completed" : "SEARCH completed");
}

}  // namespace tessera::imap
