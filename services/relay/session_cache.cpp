#include "session_cache.hpp"

namespace tessera::relay {

std::optional<CachedSession> SessionCache::take(const std::string& domain) {
  const auto it = idle_sessions_.find(domain);
  if (it == idle_sessions_.end()) return std::nullopt;
  auto slot = std::move(it->second.back());
  it->second.pop_back();
  if (it->second.empty()) idle_sessions_.erase(it);
  slot->taken = true;
  slot->timer.cancel();
  return std::move(slot->session);
}

void SessionCache::put(const std::string& domain, CachedSession session) {
  if (idle_.count() == 0 || ++session.uses >= max_uses_) {
    asio::co_spawn(executor_, quit(std::move(session.client)), asio::detached);
    return;
  }
  auto& waiting = idle_sessions_[domain];
  if (waiting.size() >= per_domain_) {  // the oldest goes
    auto oldest = std::move(waiting.front());
    waiting.pop_front();
    oldest->taken = true;
    oldest->timer.cancel();
    asio::co_spawn(executor_, quit(std::move(oldest->session.client)), asio::detached);
  }
  auto slot = std::make_shared<Slot>(executor_);
  slot->session = std::move(session);
  waiting.push_back(slot);
  asio::co_spawn(executor_, expire(domain, std::move(slot)), asio::detached);
}

awaitable<void> SessionCache::quit(std::unique_ptr<smtp::Client> client) {
  if (client) (void)co_await client->quit();
}

awaitable<void> SessionCache::expire(std::string domain, std::shared_ptr<Slot> slot) {
  slot->timer.expires_after(idle_);
  co_await slot->timer.async_wait(use_nothrow);
  if (slot->taken) co_return;
  const auto it = idle_sessions_.find(domain);
  if (it != idle_sessions_.end()) {
    std::erase(it->second, slot);
    if (it->second.empty()) idle_sessions_.erase(it);
  }
  co_await quit(std::move(slot->session.client));
}

}  // namespace tessera::relay
