// Selected state, changing messages: STORE and UID STORE (RFC 9051 §6.4.6), EXPUNGE (§6.4.3),
// UID EXPUNGE (RFC 4315 §2.1) and CLOSE's silent expunge (§6.4.1).
#include <algorithm>
#include <cctype>

#include "base/ascii.hpp"
#include "fetch_format.hpp"
#include "flag_list.hpp"
#include "imap/modifiers.hpp"
#include "imap/sequence_set.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"
#include "uid_set.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

}  // namespace

std::vector<std::pair<std::uint32_t, std::uint32_t>> Session::targets(const SequenceSet& set,
                                                                      bool by_uid) const {
  const auto& uids = selected_->uids;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  if (set.saved) {
    // "$": the saved SEARCH result, as UIDs whatever the command (RFC 5182 §2.1).
    for (auto uid : selected_->saved) {
      auto it = std::lower_bound(uids.begin(), uids.end(), uid);
      if (it != uids.end() && *it == uid)
        out.emplace_back(static_cast<std::uint32_t>(it - uids.begin()) + 1, uid);
    }
    return out;
  }
  if (by_uid) {
    const auto largest = uids.empty() ? 0 : uids.back();
    for (auto [first, last] : resolve(set, largest)) {
      auto it = std::lower_bound(uids.begin(), uids.end(), first);
      for (; it != uids.end() && *it <= last; ++it)
        out.emplace_back(static_cast<std::uint32_t>(it - uids.begin()) + 1, *it);
    }
    return out;
  }
  for (auto [first, last] : resolve(set, static_cast<std::uint32_t>(uids.size()))) {
    for (auto msn = first; msn <= last && msn <= uids.size(); ++msn)
      out.emplace_back(msn, uids[msn - 1]);
  }
  return out;
}

awaitable<bool> Session::store(const Command& c, Reader& args, bool by_uid) {
  if (selected_->read_only) co_return co_await tagged(c, "NO", "[READ-ONLY] Mailbox is read-only");
  auto set = parse_sequence_set(args);
  if (!set || !args.sp())
    co_return co_await tagged(c, "BAD", "STORE needs a sequence set, an item and flags");
  StoreModifiers modifiers;
  if (args.peek() == '(') {
    auto parsed = parse_store_modifiers(args);
    if (!parsed || !args.sp()) {
      const std::string why = parsed ? std::string("STORE needs an item") : parsed.error().message;
      co_return co_await tagged(c, "BAD", why);
    }
    modifiers = *parsed;
  }
  auto item = args.atom();
  if (!item || !args.sp())
    co_return co_await tagged(c, "BAD", "STORE needs a sequence set, an item and flags");
  auto name = ascii_upper(*item);
  v1::StoreFlagsRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(selected_->mailbox_id);
  request.set_operation(name.starts_with('+')   ? v1::STORE_OPERATION_ADD
                        : name.starts_with('-') ? v1::STORE_OPERATION_REMOVE
                                                : v1::STORE_OPERATION_REPLACE);
  if (name.starts_with('+') || name.starts_with('-')) name.erase(0, 1);
  const bool silent = name == "FLAGS.SILENT";
  if (name != "FLAGS" && !silent)
    co_return co_await tagged(c, "BAD", "STORE item must be FLAGS or FLAGS.SILENT");
  if (auto ok = parse_flags(args, *request.mutable_flags()); !ok || !args.at_end()) {
    // A named string: GCC 12 destroys a class-type temporary of a ?: inside co_await twice.
    const std::string why =
        ok ? std::string("Unexpected text after the flags") : ok.error().message;
    co_return co_await tagged(c, "BAD", why);
  }
  if (!by_uid && !sequence_numbers_valid(*set))
    co_return co_await tagged(c, "BAD", "Invalid message sequence number");
  // RFC 7162 §3.1: UNCHANGEDSINCE is a CONDSTORE-enabling command.
  std::string out = modifiers.unchanged_since ? enable_condstore() : std::string();
  if (modifiers.unchanged_since) request.set_unchanged_since(*modifiers.unchanged_since);
  const auto chosen = targets(*set, by_uid);
  const std::string done = by_uid ? "UID STORE completed" : "STORE completed";
  if (chosen.empty()) co_return co_await complete(c, std::move(out), done);
  std::vector<std::uint32_t> uids;
  for (const auto& [msn, uid] : chosen)
    uids.push_back(uid);
  *request.mutable_uids() = to_uid_set(uids);
  auto reply = co_await rpc::unary(settings_.store->messages->async(),
                                   &v1::Messages::Stub::async::StoreFlags, request,
                                   {.timeout = settings_.store_timeout});
  if (!reply) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  for (const auto& state : reply->updated()) {
    selected_->own.insert(state.modseq());
    const auto msn = msn_of(selected_->uids, state.uid());
    // .SILENT suppresses FLAGS, not the new MODSEQ a CONDSTORE client needs (§3.1.3 example).
    if (msn == 0 || (silent && !condstore_)) continue;
    std::string items;
    if (!silent) {
      out += announce_keywords(state.flags());
      items += flags_item(state.uid(), state.flags());
    }
    if (by_uid || condstore_)
      items += (items.empty() ? "UID " : " UID ") + std::to_string(state.uid());
    if (condstore_) items += " MODSEQ (" + std::to_string(state.modseq()) + ")";
    out += "* " + std::to_string(msn) + " FETCH (" + items + ")\r\n";
  }
  if (reply->modified().ranges().empty()) co_return co_await complete(c, std::move(out), done);
  // §3.1.3: the messages changed since UNCHANGEDSINCE, as UIDs for UID STORE, else numbers.
  std::vector<std::uint32_t> modified;
  for (auto uid : expand(reply->modified())) {
    const auto msn = by_uid ? uid : msn_of(selected_->uids, uid);
    if (msn != 0) modified.push_back(msn);
  }
  std::sort(modified.begin(), modified.end());
  co_return co_await complete(
      c, std::move(out), "[MODIFIED " + format_uid_set(modified) + "] Conditional STORE failed");
}

awaitable<Result<std::string>> Session::expunge_messages(const v1::UidSet* only) {
  v1::ExpungeRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(selected_->mailbox_id);
  if (only) *request.mutable_uids() = *only;
  auto reply =
      co_await rpc::unary(settings_.store->messages->async(), &v1::Messages::Stub::async::Expunge,
                          request, {.timeout = settings_.store_timeout});
  if (!reply) co_return reply.error();
  // Highest sequence number first, so every EXPUNGE names a number the client still has and
  // later ones need no renumbering (RFC 9051 §7.5.1).
  std::string out = forget(expand(reply->expunged()));
  co_return out;
}

awaitable<bool> Session::expunge(const Command& c, Reader& args, bool by_uid) {
  if (selected_->read_only) co_return co_await tagged(c, "NO", "[READ-ONLY] Mailbox is read-only");
  v1::UidSet only;
  if (by_uid) {
    auto set = parse_sequence_set(args);
    if (!set || set->saved || !args.at_end())
      co_return co_await tagged(c, "BAD", "UID EXPUNGE needs a UID set");
    for (auto [first, last] : resolve(*set, selected_->uids.empty() ? 0 : selected_->uids.back())) {
      auto* range = only.add_ranges();
      range->set_first(first);
      range->set_last(last);
    }
  }
  const std::string done = by_uid ? "UID EXPUNGE completed" : "EXPUNGE completed";
  if (by_uid && only.ranges().empty()) co_return co_await complete(c, "", done);
  auto out = co_await expunge_messages(by_uid ? &only : nullptr);
  if (!out) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  co_return co_await complete(c, std::move(*out), done, true);
}

}  // namespace tessera::imap
