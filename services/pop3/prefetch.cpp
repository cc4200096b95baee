#include "prefetch.hpp"

#include <spdlog/spdlog.h>

namespace tessera::pop3d {

awaitable<Prefetched> Prefetch::get(const Settings& settings, const Maildrop& maildrop,
                                    std::uint32_t number, bool keep) {
  const auto* message = maildrop.find(number);
  if (!message || message->size > kLargestMessage) co_return Prefetched{};
  const auto uid = message->uid;
  if (!bodies_.contains(uid) && !missing_.contains(uid)) co_await fill(settings, maildrop, number);
  Prefetched out;
  if (auto it = bodies_.find(uid); it != bodies_.end()) {
    out.kind = Prefetched::Kind::body;
    if (keep) {
      out.data = it->second;
    } else {
      out.data = std::move(it->second);
      bodies_.erase(it);
    }
  } else if (missing_.contains(uid)) {
    out.kind = Prefetched::Kind::missing;
  }
  co_return out;
}

// From `number` on, the messages not marked deleted, up to the first large one or the budget.
awaitable<void> Prefetch::fill(const Settings& settings, const Maildrop& maildrop,
                               std::uint32_t number) {
  bodies_.clear();
  missing_.clear();
  std::vector<std::uint32_t> uids;
  std::uint64_t total = 0;
  for (auto n = number; n <= maildrop.messages.size() && uids.size() < kAheadMessages; ++n) {
    const auto* message = maildrop.find(n);
    if (!message) continue;
    if (message->size > kLargestMessage || total + message->size > kAheadBytes) break;
    uids.push_back(message->uid);
    total += message->size;
  }
  auto got = co_await read_bodies(settings, maildrop, uids);
  if (!got) {  // the messages stream one by one instead, which reports a lasting failure
    spdlog::debug("pop3: reading ahead: {}", got.error().message);
    co_return;
  }
  for (auto& body : *got->mutable_bodies()) {
    if (body.missing())
      missing_.insert(body.uid());
    else
      bodies_.emplace(body.uid(), std::move(*body.mutable_data()));
  }
}

}  // namespace tessera::pop3d
