// SORT and THREAD (RFC 5256) and their UID forms: the messages SEARCH criteria choose, ordered
// by the sort keys of §3 or threaded by ORDEREDSUBJECT / REFERENCES (§BASE.ALGORITHMS), from
// the envelope and the threading data the store derived when the message arrived.
#include <algorithm>

#include "imap/sort_criteria.hpp"
#include "imap/threading.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;
using Key = SortCriterion::Key;

// §2.2 sent date: the Date header in UTC, else INTERNALDATE.
std::int64_t sent_date(const v1::MessageRecord& m) {
  const auto date = m.envelope().date_unix_ms();
  return date != 0 ? date : m.internal_date_unix_ms();
}

// §3: "addr-mailbox of the first ... address" as ENVELOPE shows it, where a group's start
// marker carries the group name as its mailbox (RFC 9051 §7.5.2); empty without one.
// A reference, not a copy: it is called twice per comparison of the sort.
const std::string& first_mailbox(const google::protobuf::RepeatedPtrField<v1::Address>& list) {
  static const std::string none;
  if (list.empty()) return none;
  return list[0].group().empty() ? list[0].local_part() : list[0].group();
}

// RFC 5957 §3: the display name of the first address (a group's name), else its addr-spec.
std::string display(const google::protobuf::RepeatedPtrField<v1::Address>& list) {
  if (list.empty()) return {};
  const auto& a = list[0];
  if (!a.group().empty()) return a.group();
  if (!a.name().empty()) return a.name();
  return a.domain().empty() ? a.local_part() : a.local_part() + "@" + a.domain();
}

int compare_numbers(std::int64_t a, std::int64_t b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

int compare(Key key, const v1::MessageRecord& a, const v1::MessageRecord& b) {
  const auto& x = a.envelope();
  const auto& y = b.envelope();
  switch (key) {
    case Key::arrival:
      return compare_numbers(a.internal_date_unix_ms(), b.internal_date_unix_ms());
    case Key::date:
      return compare_numbers(sent_date(a), sent_date(b));
    case Key::size:
      return compare_numbers(static_cast<std::int64_t>(a.size()),
                             static_cast<std::int64_t>(b.size()));
    case Key::cc:
      return ascii_casemap_compare(first_mailbox(x.cc()), first_mailbox(y.cc()));
    case Key::from:
      return ascii_casemap_compare(first_mailbox(x.from()), first_mailbox(y.from()));
    case Key::to:
      return ascii_casemap_compare(first_mailbox(x.to()), first_mailbox(y.to()));
    case Key::subject:
      return ascii_casemap_compare(a.base_subject(), b.base_subject());
    case Key::display_from:
      return ascii_casemap_compare(display(x.from()), display(y.from()));
    case Key::display_to:
      return ascii_casemap_compare(display(x.to()), display(y.to()));
  }
  return 0;
}

}  // namespace

awaitable<Result<std::vector<Session::Found>>> Session::chosen_by_criteria(Reader& args,
                                                                           MatchFields fields) {
  if (!args.sp()) co_return make_error("imap.bad", "A charset and search keys must follow");
  auto program = parse_search_criteria(args);
  if (!program) co_return make_error("imap.bad", program.error().message);
  if (auto why = unsupported_charset(*program)) co_return make_error("imap.no", *why);
  auto found = co_await matching(*program, fields);
  if (!found) co_return make_error("imap.no", "[UNAVAILABLE] Try again later");
  co_return found;
}

awaitable<bool> Session::refuse(const Command& c, const Error& error) {
  co_return co_await tagged(c, error.code == "imap.bad" ? "BAD" : "NO", error.message);
}

awaitable<bool> Session::sort(const Command& c, Reader& args, bool by_uid) {
  auto criteria = parse_sort_criteria(args);
  if (!criteria) co_return co_await tagged(c, "BAD", criteria.error().message);
  const bool by_subject = std::any_of(criteria->begin(), criteria->end(),
                                      [](const auto& k) { return k.key == Key::subject; });
  auto found = co_await chosen_by_criteria(args, {.envelope = true, .threading = by_subject});
  if (!found) co_return co_await refuse(c, found.error());
  // Equal under every criterion: sequence order (§3), which `found` already has.
  std::stable_sort(found->begin(), found->end(), [&](const Found& a, const Found& b) {
    for (const auto& criterion : *criteria) {
      const int order = compare(criterion.key, a.record, b.record);
      if (order != 0) return criterion.reverse ? order > 0 : order < 0;
    }
    return false;
  });
  std::string out = "* SORT";
  for (const auto& f : *found)
    out += " " + std::to_string(by_uid ? f.uid : f.msn);
  out += "\r\n";
  co_return co_await complete(c, std::move(out), by_uid ? "UID SORT completed" : "SORT completed");
}

awaitable<bool> Session::thread(const Command& c, Reader& args, bool by_uid) {
  auto algorithm = parse_thread_algorithm(args);
  if (!algorithm) co_return co_await tagged(c, "BAD", algorithm.error().message);
  auto found = co_await chosen_by_criteria(args, {.envelope = true, .threading = true});
  if (!found) co_return co_await refuse(c, found.error());
  std::vector<ThreadMessage> messages;
  messages.reserve(found->size());
  for (const auto& f : *found) {
    ThreadMessage m;
    m.number = by_uid ? f.uid : f.msn;
    m.sequence = f.msn;
    m.sent = sent_date(f.record);
    m.message_id = f.record.envelope().message_id();
    m.references.assign(f.record.references().begin(), f.record.references().end());
    m.base_subject = f.record.base_subject();
    m.reply_subject = f.record.reply_subject();
    messages.push_back(std::move(m));
  }
  const auto threads = *algorithm == ThreadAlgorithm::references ? thread_references(messages)
                                                                 : thread_ordered_subject(messages);
  // thread-data = "THREAD" [SP 1*thread-list] (§5).
  const auto list = format_threads(threads);
  std::string out = "* THREAD" + (list.empty() ? std::string() : " " + list) + "\r\n";
  co_return co_await complete(c, std::move(out),
                              by_uid ? "UID THREAD completed" : "THREAD completed");
}

}  // namespace tessera::imap
