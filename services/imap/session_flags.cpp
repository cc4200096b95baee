// What a client is told about flags beyond the stored ones: \Recent (RFC 3501 §2.3.2, claimed
// through the store so one session only sees a message as recent) and the FLAGS and
// PERMANENTFLAGS responses, which must name every keyword in use (RFC 9051 §7.3.5, §7.1).
#include <algorithm>

#include "fetch_format.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"

namespace tessera::imap {

namespace v1 = store::v1;

awaitable<Status> Session::claim_recent(std::uint32_t up_to) {
  auto& sel = *selected_;
  v1::ClaimRecentRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(sel.mailbox_id);
  request.set_up_to_uid(up_to);
  // EXAMINE must not take \Recent from the session that will SELECT (RFC 3501 §6.3.2).
  request.set_peek(sel.read_only);
  auto reply = co_await rpc::unary(settings_.store->mailboxes->async(),
                                   &v1::Mailboxes::Stub::async::ClaimRecent, request,
                                   {.timeout = settings_.store_timeout});
  if (!reply) co_return reply.error();
  const auto first = reply->first_recent_uid();
  for (auto it = std::lower_bound(sel.uids.begin(), sel.uids.end(), first);
       it != sel.uids.end() && *it <= up_to; ++it)
    sel.recent.insert(*it);
  co_return Status();
}

awaitable<Result<std::uint64_t>> Session::count_recent(const v1::Mailbox& mailbox) {
  const auto& s = mailbox.status();
  const auto first = std::max<std::uint32_t>(s.recent_uid(), 1);
  if (first == 1) co_return s.messages();
  if (first >= s.uid_next()) co_return 0;
  v1::ListMessagesRequest list;
  list.set_account_id(account_id_);
  list.set_mailbox_id(mailbox.mailbox_id());
  auto* range = list.mutable_uids()->add_ranges();
  range->set_first(first);
  range->set_last(s.uid_next() - 1);
  auto records = co_await list_records(list);
  if (!records) co_return records.error();
  co_return records->size();
}

std::string Session::recent_response() {
  if (rev2_) return "";
  auto& sel = *selected_;
  std::erase_if(sel.recent, [&](std::uint32_t uid) {
    return !std::binary_search(sel.uids.begin(), sel.uids.end(), uid);
  });
  return "* " + std::to_string(sel.recent.size()) + " RECENT\r\n";
}

std::string Session::flags_item(std::uint32_t uid, const v1::Flags& flags) const {
  const bool recent = !rev2_ && selected_ && selected_->recent.contains(uid);
  return "FLAGS " + format_flags(flags, recent);
}

std::string Session::announce_keywords(const v1::Flags& flags) {
  bool fresh = false;
  for (const auto& keyword : flags.keywords())
    fresh |= selected_->keywords.insert(keyword).second;
  return fresh ? flags_responses() : "";
}

std::string Session::flags_responses() const {
  std::string keywords;
  for (const auto& keyword : selected_->keywords)
    keywords += " " + keyword;
  std::string out = "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft" + keywords + ")\r\n";
  // \* : any new keyword may be stored and is kept (RFC 9051 §7.1, PERMANENTFLAGS).
  out += selected_->read_only ? "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n"
                              : "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
                                "\\Draft" +
                                    keywords + " \\*)] Flags and keywords are kept\r\n";
  return out;
}

}  // namespace tessera::imap
