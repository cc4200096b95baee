// Keeping a selected mailbox's client in step with the store (RFC 9051 §5.2, §7.4.1 EXISTS,
// §7.5.1 EXPUNGE, §7.5.2 FETCH), NOOP and CHECK (§6.1.2, RFC 3501 §6.4.1), and IDLE (RFC 2177).
// The store's change log since the session's last known modseq says what others did; the
// session's own flag changes, already answered, are skipped.
#include <algorithm>
#include <cctype>

#include "base/ascii.hpp"
#include "fetch_format.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"
#include "uid_set.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

void normalise(std::vector<std::uint32_t>& uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
}

}  // namespace

awaitable<Result<Session::LogChanges>> Session::read_changes(std::uint64_t mailbox_id,
                                                             std::uint64_t since) {
  LogChanges changes;
  v1::ListChangesRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(mailbox_id);
  request.set_since_modseq(since);
  for (;;) {
    auto reply = co_await rpc::unary(settings_.store->changes->async(),
                                     &v1::Changes::Stub::async::ListChanges, request,
                                     {.timeout = settings_.store_timeout});
    if (!reply) co_return reply.error();
    if (reply->history_lost()) {
      changes.lost = true;
      co_return changes;
    }
    for (const auto& change : reply->changes()) {
      if (change.kind() == v1::CHANGE_KIND_MAILBOX_DELETED)
        co_return make_error("imap.mailbox_gone", "the selected mailbox was deleted");
      auto uids = expand(change.uids());
      auto* into = change.kind() == v1::CHANGE_KIND_MESSAGES_ADDED  ? &changes.added
                   : change.kind() == v1::CHANGE_KIND_EXPUNGED      ? &changes.expunged
                   : change.kind() == v1::CHANGE_KIND_FLAGS_CHANGED ? &changes.flagged
                                                                    : nullptr;
      if (into == &changes.flagged && selected_ && selected_->own.contains(change.modseq()))
        into = nullptr;  // this session's own STORE, answered already
      if (into) into->insert(into->end(), uids.begin(), uids.end());
    }
    changes.highest_modseq = reply->highest_modseq();
    if (!reply->more() || reply->changes().empty()) break;
    request.set_since_modseq(reply->changes(reply->changes_size() - 1).modseq());
  }
  normalise(changes.added);
  normalise(changes.flagged);
  normalise(changes.expunged);
  co_return changes;
}

awaitable<Result<std::string>> Session::updates(bool expunge_allowed) {
  auto& sel = *selected_;
  auto read = co_await read_changes(sel.mailbox_id, sel.modseq);
  if (!read) co_return read.error();
  auto changes = std::move(*read);
  if (changes.lost) {
    // Older than the kept log (30 days idle): compare the whole UID list instead.
    auto snapshot = co_await load_uids(sel.mailbox_id);
    if (!snapshot) co_return snapshot.error();
    std::set_difference(sel.uids.begin(), sel.uids.end(), snapshot->uids.begin(),
                        snapshot->uids.end(), std::back_inserter(changes.expunged));
    std::set_difference(snapshot->uids.begin(), snapshot->uids.end(), sel.uids.begin(),
                        sel.uids.end(), std::back_inserter(changes.added));
    changes.flagged = snapshot->uids;
    changes.highest_modseq = snapshot->highest_modseq;
  }

  std::string out;
  // EXPUNGE (or VANISHED) first, so no reply renumbers a later one (§7.5.1).
  for (auto uid : changes.expunged)
    if (msn_of(sel.uids, uid) != 0) sel.gone.insert(uid);
  if (expunge_allowed && !sel.gone.empty()) {
    const std::vector<std::uint32_t> gone(sel.gone.begin(), sel.gone.end());
    out += forget(gone);
  }
  // New messages: UIDs only grow, so they go to the end (§2.3.1.1).
  const auto before = sel.uids.size();
  for (auto uid : changes.added) {
    if (std::binary_search(changes.expunged.begin(), changes.expunged.end(), uid)) continue;
    if (sel.uids.empty() || uid > sel.uids.back()) sel.uids.push_back(uid);
  }
  if (sel.uids.size() != before) {
    out += "* " + std::to_string(sel.uids.size()) + " EXISTS\r\n";
    // The new messages are \\Recent for this session if no other session saw them first.
    // \\Recent is advisory: if the store cannot be reached, these are simply not recent.
    auto claimed = co_await claim_recent(sel.uids.back());
    (void)claimed;
    out += recent_response();
  }
  // Flags others changed on messages the client already knew.
  std::vector<std::uint32_t> known;
  for (auto uid : changes.flagged)
    if (msn_of(sel.uids, uid) != 0 && msn_of(sel.uids, uid) <= before && !sel.gone.contains(uid))
      known.push_back(uid);
  if (!known.empty()) {
    auto fetched = co_await flag_fetches(known);
    if (!fetched) co_return fetched.error();
    out += *fetched;
  }
  sel.modseq = std::max(sel.modseq, changes.highest_modseq);
  sel.own.erase(sel.own.begin(), sel.own.upper_bound(sel.modseq));
  co_return out;
}

awaitable<Result<std::string>> Session::flag_fetches(const std::vector<std::uint32_t>& uids,
                                                     std::uint64_t changed_since) {
  auto& sel = *selected_;
  v1::ListMessagesRequest list;
  list.set_account_id(account_id_);
  list.set_mailbox_id(sel.mailbox_id);
  *list.mutable_uids() = to_uid_set(uids);
  list.set_changed_since_modseq(changed_since);
  auto listed = co_await list_records(list);
  if (!listed) co_return listed.error();
  std::string out;
  for (const auto& m : *listed) {
    const auto msn = msn_of(sel.uids, m.uid());
    if (msn == 0) continue;
    out += announce_keywords(m.flags());
    // RFC 7162 §3.1: once CONDSTORE is on, every flag FETCH carries UID and MODSEQ.
    out += "* " + std::to_string(msn) + " FETCH (UID " + std::to_string(m.uid()) + " " +
           flags_item(m.uid(), m.flags()) +
           (condstore_ ? " MODSEQ (" + std::to_string(m.modseq()) + ")" : "") + ")\r\n";
  }
  co_return out;
}

awaitable<bool> Session::complete(const Command& c, std::string out, std::string_view text,
                                  bool highest_modseq) {
  if (selected_) {
    const bool allowed = c.name != "FETCH" && c.name != "STORE" && c.name != "SEARCH" &&
                         c.name != "SORT" && c.name != "THREAD";
    auto more = co_await updates(allowed);
    if (!more && more.error().code == "imap.mailbox_gone") co_return co_await mailbox_gone();
    if (more) out += *more;  // the store away: the updates come with a later command
  }
  out += c.tag;
  out += " OK ";
  // RFC 7162 §3.2.7, §3.2.9: EXPUNGE under QRESYNC tells the modseq the client is now at.
  if (highest_modseq && qresync_ && selected_)
    out += "[HIGHESTMODSEQ " + std::to_string(selected_->modseq) + "] ";
  out += text;
  out += "\r\n";
  co_return co_await send(out);
}

awaitable<bool> Session::mailbox_gone() {
  // Dovecot and Cyrus end the session too: the client's sequence numbers mean nothing any more.
  state_ = State::logout;
  co_await send("* BYE [NONEXISTENT] The selected mailbox was deleted\r\n");
  co_return true;
}

// RFC 2177: "+ idling", untagged updates as they happen, until the client sends DONE. The line
// is read by a helper coroutine on this session's strand, so a change notice never interrupts a
// half-read line; both wake the same channel.
awaitable<bool> Session::idle(const Command& c) {
  auto executor = co_await asio::this_coro::executor;
  WakeChannel wake(executor, 1);
  std::optional<Result<std::string>> line;
  bool reading = true;
  auto read_done = [this, &line, &wake, &reading]() -> awaitable<void> {
    line = co_await reader_.read_line();
    reading = false;
    wake.try_send(boost::system::error_code());
  };
  if (!co_await send("+ idling\r\n")) co_return false;
  auto subscription =
      settings_.hub->subscribe(account_id_, wake, selected_ ? selected_->modseq : 0);
  asio::co_spawn(executor, read_done(), asio::detached);
  bool alive = true;
  while (reading) {
    if (selected_ && alive) {
      auto more = co_await updates(true);
      if (!more && more.error().code == "imap.mailbox_gone") {
        co_await mailbox_gone();
        alive = false;
      }
      if (more && !more->empty() && !co_await send(*more)) alive = false;
    }
    if (!reading) break;
    co_await wake.async_receive(use_nothrow);
  }
  // The helper may have resumed us from inside its try_send: let it return before its frame's
  // references (line, wake) go away with ours.
  co_await asio::post(executor, asio::use_awaitable);
  if (!alive) co_return true;
  if (!*line) co_return co_await handle_read_error(line->error());
  if (ascii_upper(**line) != "DONE") co_return co_await tagged(c, "BAD", "Expected DONE");
  co_return co_await complete(c, "", "IDLE terminated");
}

}  // namespace tessera::imap
