// COPY and UID COPY (RFC 9051 §6.4.7, COPYUID of RFC 4315 §3), MOVE and UID MOVE (RFC 6851).
// One store call copies (or moves) the whole set in one write; a move's source messages are
// reported with EXPUNGE right away, after the COPYUID (RFC 6851 §4.3).
#include <algorithm>
#include <type_traits>

#include "imap/sequence_set.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"
#include "uid_set.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

std::string refusal(const Error& error) {
  if (error.code == "rpc.RESOURCE_EXHAUSTED") return "[OVERQUOTA] Quota exceeded";
  if (error.code == "rpc.INVALID_ARGUMENT") return "[CANNOT] " + error.message;
  if (error.code == "rpc.NOT_FOUND") return "[TRYCREATE] No such mailbox";
  return "[UNAVAILABLE] Try again later";
}

}  // namespace

awaitable<bool> Session::copy(const Command& c, Reader& args, bool by_uid, bool move) {
  const std::string verb = std::string(by_uid ? "UID " : "") + (move ? "MOVE" : "COPY");
  auto set = parse_sequence_set(args);
  if (!set || !args.sp())
    co_return co_await tagged(c, "BAD", verb + " needs a sequence set and a mailbox");
  auto name = args.astring();
  if (!name || !args.at_end())
    co_return co_await tagged(c, "BAD", verb + " needs a sequence set and a mailbox");
  if (move && selected_->read_only)
    co_return co_await tagged(c, "NO", "[READ-ONLY] Mailbox is read-only");
  if (!by_uid && !sequence_numbers_valid(*set))
    co_return co_await tagged(c, "BAD", "Invalid message sequence number");
  auto target = co_await find_mailbox(*name);
  if (!target) {
    const auto why = target_refusal(target.error());
    co_return co_await tagged(c, "NO", why);
  }
  std::vector<std::uint32_t> uids;
  for (const auto& [msn, uid] : targets(*set, by_uid))
    if (!selected_->gone.contains(uid)) uids.push_back(uid);
  if (uids.empty()) co_return co_await complete(c, "", verb + " completed");
  v1::CopyRequest request;
  request.set_account_id(account_id_);
  request.set_mailbox_id(selected_->mailbox_id);
  *request.mutable_uids() = to_uid_set(uids);
  request.mutable_target()->set_mailbox_id(target->mailbox_id());
  using Async = std::remove_pointer_t<decltype(settings_.store->messages->async())>;
  rpc::UnaryMethod<Async, v1::CopyRequest, v1::CopyReply> method = &v1::Messages::Stub::async::Copy;
  if (move) method = &v1::Messages::Stub::async::Move;
  auto reply = co_await rpc::unary(settings_.store->messages->async(), method, request,
                                   {.timeout = settings_.store_timeout});
  if (!reply) {
    const auto why = refusal(reply.error());
    co_return co_await tagged(c, "NO", why);
  }
  std::vector<std::uint32_t> sources, destinations;
  for (const auto& m : reply->uids()) {
    sources.push_back(m.source_uid());
    destinations.push_back(m.destination_uid());
  }
  std::string code;
  if (!sources.empty())
    code = "[COPYUID " + std::to_string(reply->destination_uid_validity()) + " " +
           format_uid_set(sources) + " " + format_uid_set(destinations) + "] ";
  if (!move) co_return co_await complete(c, "", code + verb + " completed");
  std::string out;
  if (!code.empty()) out = "* OK " + code + "Moved\r\n";
  out += forget(sources);
  co_return co_await complete(c, std::move(out), verb + " completed");
}

bool Session::sequence_numbers_valid(const SequenceSet& set) const {
  const auto count = static_cast<std::uint32_t>(selected_->uids.size());
  for (auto [first, last] : resolve(set, count))
    if (last > count) return false;
  return true;
}

std::string Session::forget(const std::vector<std::uint32_t>& ascending) {
  auto& uids = selected_->uids;
  std::string out;
  std::vector<std::uint32_t> vanished;
  // Highest number first, so each EXPUNGE names a number the client still has (§7.4.1).
  for (auto it = ascending.rbegin(); it != ascending.rend(); ++it) {
    auto found = std::lower_bound(uids.begin(), uids.end(), *it);
    selected_->gone.erase(*it);
    if (found == uids.end() || *found != *it) continue;
    out += "* " + std::to_string(found - uids.begin() + 1) + " EXPUNGE\r\n";
    vanished.insert(vanished.begin(), *it);
    uids.erase(found);
  }
  // QRESYNC clients hear UIDs instead (RFC 7162 §3.2.10.1).
  if (qresync_) return vanished.empty() ? "" : "* VANISHED " + format_uid_set(vanished) + "\r\n";
  return out;
}

}  // namespace tessera::imap
