// CONDSTORE and QRESYNC (RFC 7162) state and the resynchronisation they offer: HIGHESTMODSEQ
// when CONDSTORE is switched on with a mailbox selected (§3.1), VANISHED (EARLIER) from the
// store's change log (§3.2.5, §3.2.6, §3.2.10.1) and SELECT's QRESYNC answer (§3.2.5).
#include <algorithm>

#include "session_impl.hpp"
#include "uid_set.hpp"

namespace tessera::imap {

std::string Session::enable_condstore() {
  if (condstore_) return "";
  condstore_ = true;
  // §3.1: a CONDSTORE-enabling command other than SELECT tells the selected mailbox's value.
  if (!selected_) return "";
  return "* OK [HIGHESTMODSEQ " + std::to_string(selected_->modseq) + "] Highest\r\n";
}

awaitable<Result<std::string>> Session::vanished_earlier(std::uint64_t since,
                                                         const UidRanges& within) {
  const auto& sel = *selected_;
  auto changes = co_await read_changes(sel.mailbox_id, since);
  if (!changes) co_return changes.error();
  std::string gone;
  if (changes->lost) {
    // The log no longer reaches back: every UID of the range that does not exist now. UIDs
    // are never reused, so that may name UIDs the client never had, which §3.2.10.1 allows.
    gone = format_ranges(missing(within, sel.uids));
  } else {
    std::vector<std::uint32_t> expunged;
    // Still numbered (held back during FETCH/STORE/SEARCH): reported later as VANISHED.
    for (auto uid : changes->expunged)
      if (contains(within, uid) && !std::binary_search(sel.uids.begin(), sel.uids.end(), uid))
        expunged.push_back(uid);
    gone = format_uid_set(expunged);
  }
  if (gone.empty()) co_return std::string();
  co_return "* VANISHED (EARLIER) " + gone + "\r\n";
}

awaitable<Result<std::string>> Session::resync(const QresyncParam& param,
                                               const store::v1::MailboxStatus& status) {
  // §3.2.5: another UIDVALIDITY voids the client's cache; it learns that from UIDVALIDITY.
  if (param.uid_validity != status.uid_validity()) co_return std::string();
  const std::uint32_t largest = status.uid_next() > 1 ? status.uid_next() - 1 : 0;
  UidRanges within;
  if (param.known_uids)
    within = resolve(*param.known_uids, largest);
  else if (largest != 0)
    within.emplace_back(1, largest);
  auto vanished = co_await vanished_earlier(param.modseq, within);
  if (!vanished) co_return vanished.error();
  std::string out = std::move(*vanished);
  if (!selected_->uids.empty()) {
    // Every message whose flags changed (or that arrived) since the client's modseq.
    // With known-uids, only changes to those messages are reported (§3.2.5).
    std::vector<std::uint32_t> asked;
    for (auto uid : selected_->uids)
      if (contains(within, uid)) asked.push_back(uid);
    if (asked.empty()) co_return out;
    auto fetched = co_await flag_fetches(asked, param.modseq);
    if (!fetched) co_return fetched.error();
    out += *fetched;
  }
  co_return out;
}

}  // namespace tessera::imap
