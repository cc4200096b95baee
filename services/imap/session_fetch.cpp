// FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9; RFC 3516 BINARY): metadata from the store's
// records and derived data in one List call, body sections from GetBody. A non-PEEK body fetch
// sets \Seen (§6.4.5) and reports the new FLAGS.
#include <algorithm>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "fetch_format.hpp"
#include "imap/modifiers.hpp"
#include "imap/sequence_set.hpp"
#include "net/errors.hpp"
#include "response.hpp"
#include "rpc/client.hpp"
#include "rpc/status.hpp"
#include "session_impl.hpp"
#include "uid_set.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

bool has_item(const std::vector<FetchItem>& items, FetchKind kind) {
  return std::any_of(items.begin(), items.end(),
                     [&](const FetchItem& i) { return i.kind == kind; });
}

bool sets_seen(const FetchItem& item) {
  switch (item.kind) {
    case FetchKind::rfc822:
    case FetchKind::rfc822_text:
      return true;
    case FetchKind::body_section:
    case FetchKind::binary:
      return !item.peek;
    default:
      return false;
  }
}

std::string part_path(const Section& section) {
  std::string out;
  for (auto n : section.part)
    out += (out.empty() ? "" : ".") + std::to_string(n);
  return out;
}

bool has_seen(const v1::Flags& flags) {
  return std::find(flags.system().begin(), flags.system().end(), v1::SYSTEM_FLAG_SEEN) !=
         flags.system().end();
}

}  // namespace

awaitable<Result<Session::Snapshot>> Session::load_uids(std::uint64_t mailbox_id) {
  v1::ListMessagesRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(mailbox_id);
  auto reader =
      rpc::server_stream(settings_.store->messages->async(), &v1::Messages::Stub::async::List,
                         request, {.timeout = settings_.store_timeout});
  Snapshot snapshot;
  for (;;) {
    auto batch = co_await reader->next();
    if (!batch) co_return batch.error();
    if (!*batch) break;
    // The listing's start: later changes come again through the change log, and are merged.
    if (snapshot.highest_modseq == 0) snapshot.highest_modseq = (*batch)->highest_modseq();
    for (const auto& m : (*batch)->messages()) {
      snapshot.uids.push_back(m.uid());
      const auto& system = m.flags().system();
      if (snapshot.first_unseen == 0 &&
          std::find(system.begin(), system.end(), v1::SYSTEM_FLAG_SEEN) == system.end())
        snapshot.first_unseen = m.uid();
      snapshot.keywords.insert(m.flags().keywords().begin(), m.flags().keywords().end());
    }
  }
  co_return snapshot;
}

awaitable<Result<std::vector<v1::MessageRecord>>> Session::list_records(
    const v1::ListMessagesRequest& request) {
  auto reader =
      rpc::server_stream(settings_.store->messages->async(), &v1::Messages::Stub::async::List,
                         request, {.timeout = settings_.store_timeout});
  std::vector<v1::MessageRecord> records;
  for (;;) {
    auto batch = co_await reader->next();
    if (!batch) co_return batch.error();
    if (!*batch) break;
    for (auto& m : *(*batch)->mutable_messages())
      records.push_back(std::move(m));
  }
  co_return records;
}

// The GetBody request for one body item, and the name its response carries.
v1::GetBodyRequest Session::body_request(std::uint32_t uid, const FetchItem& item,
                                         std::string& name) const {
  using T = Section::Text;
  v1::GetBodyRequest body;
  body.set_account_id(account_id_);
  body.set_mailbox_id(selected_->mailbox_id);
  body.set_uid(uid);
  body.set_part(part_path(item.section));
  name = item.response_name();
  if (item.kind == FetchKind::rfc822) name = "RFC822";
  if (item.kind == FetchKind::rfc822_header) {
    name = "RFC822.HEADER";
    body.set_section(v1::SECTION_HEADER);
  }
  if (item.kind == FetchKind::rfc822_text) {
    name = "RFC822.TEXT";
    body.set_section(v1::SECTION_TEXT);
  }
  if (item.section.text == T::header || filtered(item)) body.set_section(v1::SECTION_HEADER);
  if (item.section.text == T::text) body.set_section(v1::SECTION_TEXT);
  if (item.section.text == T::mime) body.set_section(v1::SECTION_MIME);
  body.set_decode(item.kind == FetchKind::binary || item.kind == FetchKind::binary_size);
  if (item.partial && !filtered(item)) {
    body.set_offset(item.partial->first);
    body.set_length(item.partial->second);
  }
  return body;
}

bool Session::filtered(const FetchItem& item) {
  return item.section.text == Section::Text::header_fields ||
         item.section.text == Section::Text::header_fields_not;
}

namespace {

// A GetBody error that still answers: a part the message does not have is "" (what Dovecot
// answers too); an encoding BINARY cannot undo is [UNKNOWN-CTE]. Anything else is an error.
Result<bool> empty_part(const Error& error) {
  if (rpc::status_code(error) != grpc::StatusCode::INVALID_ARGUMENT) return error;
  if (error.message.find("UNKNOWN-CTE") != std::string::npos)
    return make_error("imap.unknown_cte", error.message);
  return true;
}

}  // namespace

// Small items gathered whole: HEADER.FIELDS (filtered here) and BINARY.SIZE.
awaitable<Result<std::string>> Session::body_item(std::uint32_t uid, const FetchItem& item) {
  std::string name;
  auto stream =
      rpc::server_stream(settings_.store->messages->async(), &v1::Messages::Stub::async::GetBody,
                         body_request(uid, item, name), {.timeout = settings_.store_timeout});
  std::string data;
  std::uint64_t total = 0;
  for (;;) {
    auto chunk = co_await stream->next();
    if (!chunk) {
      if (auto empty = empty_part(chunk.error()); !empty) co_return empty.error();
      break;
    }
    if (!*chunk) break;
    if ((*chunk)->total_size() != 0) total = (*chunk)->total_size();
    data += (*chunk)->data();
  }
  if (item.kind == FetchKind::binary_size) co_return name + " " + std::to_string(total);
  data = select_header_fields(data, item.section.fields,
                              item.section.text == Section::Text::header_fields_not);
  if (item.partial)
    data =
        data.substr(std::min<std::size_t>(item.partial->first, data.size()), item.partial->second);
  co_return name + " {" + std::to_string(data.size()) + "}\r\n" + data;
}

awaitable<Result<bool>> Session::send_body_item(std::uint32_t uid, const FetchItem& item,
                                                std::string prefix) {
  if (filtered(item) || item.kind == FetchKind::binary_size) {
    auto text = co_await body_item(uid, item);
    if (!text) co_return text.error();
    co_return co_await send(prefix + *text);
  }
  // Streamed: the literal's size comes with the first chunk (the piece's total size, cut to
  // the partial range), then each chunk is written as it arrives, so a 50 MB message is never
  // whole in this process (RFC 9051 §7.5.2 literal; partial §6.4.5).
  std::string name;
  auto request = body_request(uid, item, name);
  auto stream =
      rpc::server_stream(settings_.store->messages->async(), &v1::Messages::Stub::async::GetBody,
                         request, {.timeout = settings_.store_timeout});
  auto first = co_await stream->next();
  std::string data;
  std::uint64_t size = 0;
  if (!first) {
    if (auto empty = empty_part(first.error()); !empty) co_return empty.error();
  } else if (*first) {
    const auto total = (*first)->total_size();
    const auto offset = std::min<std::uint64_t>(request.offset(), total);
    size = total - offset;
    if (request.has_length()) size = std::min<std::uint64_t>(size, request.length());
    data = std::move(*(*first)->mutable_data());
  }
  // BINARY of data with NULs needs literal8 (RFC 3516 §4.2); past one chunk it is used
  // without looking, since the rest has not arrived yet.
  const bool literal8 = item.kind == FetchKind::binary &&
                        (data.size() < size || data.find('\0') != std::string::npos);
  std::uint64_t sent = data.size();
  if (!co_await send(prefix + name + " " + (literal8 ? "~" : "") + "{" + std::to_string(size) +
                     "}\r\n" + data))
    co_return false;
  while (first && *first && sent < size) {
    auto chunk = co_await stream->next();
    if (!chunk || !*chunk) break;
    sent += (*chunk)->data().size();
    if (!co_await send((*chunk)->data())) co_return false;
  }
  if (sent != size) {
    // Half a literal cannot be taken back: the connection has to end.
    spdlog::warn("imap {}: body of UID {} ended after {} of {} bytes",
                 net::endpoint_string(connection_.client), uid, sent, size);
    co_return false;
  }
  co_return true;
}

awaitable<bool> Session::fetch(const Command& c, Reader& args, bool by_uid) {
  auto set = parse_sequence_set(args);
  if (!set || !args.sp())
    co_return co_await tagged(c, "BAD", "FETCH needs a sequence set and items");
  auto items = parse_fetch_items(args);
  if (!items) co_return co_await tagged(c, "BAD", items.error().message);
  FetchModifiers modifiers;
  if (args.try_char(' ')) {
    auto parsed = parse_fetch_modifiers(args);
    if (!parsed) co_return co_await tagged(c, "BAD", parsed.error().message);
    modifiers = *parsed;
  }
  if (!args.at_end()) co_return co_await tagged(c, "BAD", "Unexpected text after the FETCH items");
  // RFC 7162 §3.2.6: VANISHED belongs to UID FETCH of a client that enabled QRESYNC.
  if (modifiers.vanished && (!by_uid || !qresync_))
    co_return co_await tagged(c, "BAD", "VANISHED needs UID FETCH and ENABLE QRESYNC");
  auto& selected = *selected_;
  if (!by_uid && !sequence_numbers_valid(*set))
    co_return co_await tagged(c, "BAD", "Invalid message sequence number");
  const auto targets = this->targets(*set, by_uid);
  // RFC 9051 §6.4.9: UID FETCH always returns UID; RFC 7162 §3.1.4.1: CHANGEDSINCE implies MODSEQ.
  if (by_uid && !has_item(*items, FetchKind::uid))
    items->insert(items->begin(), FetchItem{FetchKind::uid});
  if (modifiers.changed_since && !has_item(*items, FetchKind::modseq))
    items->push_back(FetchItem{FetchKind::modseq});
  std::string early;  // HIGHESTMODSEQ on enabling CONDSTORE, VANISHED (EARLIER)
  if (has_item(*items, FetchKind::modseq)) early += enable_condstore();
  if (modifiers.vanished && !set->saved) {
    const auto largest = selected.uids.empty() ? 0U : selected.uids.back();
    auto vanished = co_await vanished_earlier(*modifiers.changed_since, resolve(*set, largest));
    if (!vanished) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
    early += *vanished;
  }
  const bool mark_seen =
      !selected.read_only && std::any_of(items->begin(), items->end(), sets_seen);
  const std::string done = by_uid ? "UID FETCH completed" : "FETCH completed";
  if (targets.empty()) co_return co_await complete(c, early, done);
  if (!early.empty() && !co_await send(early)) co_return false;

  v1::ListMessagesRequest list;
  list.set_account_id(account_id_);
  list.set_mailbox_id(selected.mailbox_id);
  std::vector<std::uint32_t> wanted;
  for (const auto& t : targets)
    wanted.push_back(t.second);
  *list.mutable_uids() = to_uid_set(wanted);
  list.set_changed_since_modseq(modifiers.changed_since.value_or(0));
  for (const auto& item : *items) {
    if (item.kind == FetchKind::envelope) list.add_fields(v1::MESSAGE_FIELD_ENVELOPE);
    if (item.kind == FetchKind::body || item.kind == FetchKind::body_structure)
      list.add_fields(v1::MESSAGE_FIELD_BODY_STRUCTURE);
  }
  auto listed = co_await list_records(list);
  if (!listed) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  std::map<std::uint32_t, v1::MessageRecord> records;
  for (auto& m : *listed)
    records.emplace(m.uid(), std::move(m));

  std::set<std::uint32_t> seen_now;  // messages this FETCH gave \\Seen
  if (mark_seen) {
    std::vector<std::uint32_t> unseen;
    for (const auto& [uid, record] : records)
      if (!has_seen(record.flags())) unseen.push_back(uid);
    if (!unseen.empty()) {
      v1::StoreFlagsRequest store;
      store.set_account_id(account_id_);
      store.set_mailbox_id(selected.mailbox_id);
      *store.mutable_uids() = to_uid_set(unseen);
      store.set_operation(v1::STORE_OPERATION_ADD);
      store.mutable_flags()->add_system(v1::SYSTEM_FLAG_SEEN);
      auto stored = co_await rpc::unary(settings_.store->messages->async(),
                                        &v1::Messages::Stub::async::StoreFlags, store,
                                        {.timeout = settings_.store_timeout});
      if (stored) {
        for (const auto& state : stored->updated()) {
          selected.own.insert(state.modseq());
          seen_now.insert(state.uid());
          if (auto it = records.find(state.uid()); it != records.end()) {
            *it->second.mutable_flags() = state.flags();
            it->second.set_modseq(state.modseq());
          }
        }
      }
    }
  }

  // Responses are gathered and written in pieces of about 64 KiB (and with each body item's
  // literal), not one write per message.
  constexpr std::size_t kFlushBytes = 64 * 1024;
  std::string out;
  for (const auto& [msn, uid] : targets) {
    auto found = records.find(uid);
    if (found == records.end()) continue;  // expunged by another session meanwhile
    const auto& m = found->second;
    // FLAGS naming a new keyword goes before this FETCH.
    const bool shows_flags = has_item(*items, FetchKind::flags) || seen_now.contains(uid);
    const auto line_start = out.size();
    out += (shows_flags ? announce_keywords(m.flags()) : std::string()) + "* " +
           std::to_string(msn) + " FETCH (";
    bool first = true;
    auto add = [&](const std::string& text) {
      out += (first ? "" : " ") + text;
      first = false;
    };
    bool flags_sent = false;
    for (const auto& item : *items) {
      switch (item.kind) {
        case FetchKind::uid:
          add("UID " + std::to_string(uid));
          break;
        case FetchKind::flags:
          add(flags_item(uid, m.flags()));
          flags_sent = true;
          break;
        case FetchKind::internal_date:
          add("INTERNALDATE " + format_internal_date(m.internal_date_unix_ms()));
          break;
        case FetchKind::rfc822_size:
          add("RFC822.SIZE " + std::to_string(m.size()));
          break;
        case FetchKind::modseq:
          add("MODSEQ (" + std::to_string(m.modseq()) + ")");
          break;
        case FetchKind::envelope:
          add("ENVELOPE " + format_envelope(m.envelope()));
          break;
        case FetchKind::body:
          add("BODY " + format_body(m.body_structure(), false));
          break;
        case FetchKind::body_structure:
          add("BODYSTRUCTURE " + format_body(m.body_structure(), true));
          break;
        default: {
          // What is gathered so far goes out with the item's literal.
          auto sent = co_await send_body_item(uid, item, out + (first ? "" : " "));
          if (!sent) {
            // This item sent nothing: a FETCH line under way is closed, one not begun dropped.
            if (first) out.resize(line_start);
            if (!first) out += ")\r\n";
            if (!out.empty() && !co_await send(out)) co_return false;
            if (sent.error().code == "imap.unknown_cte")
              co_return co_await tagged(c, "NO", "[UNKNOWN-CTE] Cannot decode this part");
            co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
          }
          if (!*sent) co_return false;
          out.clear();
          first = false;
          break;
        }
      }
    }
    if (seen_now.contains(uid)) {
      if (!flags_sent) add(flags_item(uid, m.flags()));
      // RFC 7162 §3.1: a flag change reported under CONDSTORE carries UID and MODSEQ.
      if (condstore_ && !has_item(*items, FetchKind::uid)) add("UID " + std::to_string(uid));
      if (condstore_ && !has_item(*items, FetchKind::modseq))
        add("MODSEQ (" + std::to_string(m.modseq()) + ")");
    }
    out += ")\r\n";
    if (out.size() >= kFlushBytes) {
      if (!co_await send(out)) co_return false;
      out.clear();
    }
  }
  co_return co_await complete(c, std::move(out), done);
}

}  // namespace tessera::imap
