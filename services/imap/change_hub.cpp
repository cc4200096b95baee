#include "change_hub.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "rpc/client.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

// Heartbeats let an unused stream notice it has no subscribers and end.
constexpr std::uint32_t kHeartbeatSeconds = 15;

}  // namespace

std::unique_ptr<ChangeHub::Subscription> ChangeHub::subscribe(std::uint64_t account,
                                                              WakeChannel& channel,
                                                              std::uint64_t known_modseq) {
  std::unique_lock lock(mutex_);
  auto [it, fresh] = entries_.try_emplace(account);
  it->second.channels.insert(&channel);
  if (fresh) {
    it->second.modseq = known_modseq;
    asio::co_spawn(asio::make_strand(io_), watch(account, known_modseq), asio::detached);
  } else if (it->second.modseq > known_modseq) {
    channel.try_send(boost::system::error_code());
  }
  return std::make_unique<Subscription>(*this, account, channel);
}

void ChangeHub::unsubscribe(std::uint64_t account, WakeChannel& channel) {
  std::unique_lock lock(mutex_);
  if (auto it = entries_.find(account); it != entries_.end()) it->second.channels.erase(&channel);
}

bool ChangeHub::notify(std::uint64_t account, std::uint64_t modseq, bool wake) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(account);
  if (it == entries_.end()) return false;
  if (it->second.channels.empty()) {
    entries_.erase(it);  // under the lock: a new subscriber starts a new watch
    return false;
  }
  if (!wake) return true;
  it->second.modseq = std::max(it->second.modseq, modseq);
  for (auto* channel : it->second.channels)
    channel->try_send(boost::system::error_code());
  return true;
}

awaitable<void> ChangeHub::watch(std::uint64_t account, std::uint64_t since) {
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  for (;;) {
    v1::WatchRequest request;
    request.set_account_id(account);
    request.set_since_modseq(since);
    request.set_heartbeat_seconds(kHeartbeatSeconds);
    // A watch lives as long as sessions idle: no overall deadline, heartbeats prove liveness.
    auto reader = rpc::server_stream(store_.changes->async(), &v1::Changes::Stub::async::Watch,
                                     request, {.timeout = std::chrono::hours(24 * 365)});
    for (;;) {
      auto event = co_await reader->next();
      if (!event || !*event) break;
      const auto& e = **event;
      if (!e.heartbeat()) since = std::max(since, e.highest_modseq());
      if (!notify(account, e.highest_modseq(), !e.heartbeat())) co_return;
    }
    // The stream ended (store restart, drain, shard move): wake sessions so they re-read the log,
    // then reconnect from the last modseq seen.
    if (!notify(account, since, true)) co_return;
    spdlog::debug("imap: watch of account {} ended; reconnecting", account);
    backoff.expires_after(std::chrono::seconds(1));
    co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace tessera::imap
