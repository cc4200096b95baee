// In-process fan-out of committed changes to Changes.Watch streams. A mutation publishes after
// its synced write, so a watcher never hears of a change it cannot read yet. Subscribers are
// called on the committing thread and must not block (they queue and wake their stream).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "tessera/store/v1/changes.pb.h"

namespace tessera::store {

class Notifier {
 public:
  using Callback = std::function<void(const v1::WatchEvent&)>;

  // Ends the subscription when destroyed.
  class Subscription {
   public:
    Subscription(Notifier* owner, std::uint64_t account, std::uint64_t id)
        : owner_(owner), account_(account), id_(id) {}
    ~Subscription() { owner_->unsubscribe(account_, id_); }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    Notifier* owner_;
    std::uint64_t account_;
    std::uint64_t id_;
  };

  std::unique_ptr<Subscription> subscribe(std::uint64_t account, Callback callback) {
    std::lock_guard lock(mutex_);
    const auto id = ++next_id_;
    subscribers_[account].emplace(id, std::move(callback));
    return std::make_unique<Subscription>(this, account, id);
  }

  void publish(std::uint64_t account, const v1::WatchEvent& event) {
    std::lock_guard lock(mutex_);
    auto found = subscribers_.find(account);
    if (found == subscribers_.end()) return;
    for (auto& [id, callback] : found->second)
      callback(event);
  }

  std::size_t watchers(std::uint64_t account) {
    std::lock_guard lock(mutex_);
    auto found = subscribers_.find(account);
    return found == subscribers_.end() ? 0 : found->second.size();
  }

 private:
  void unsubscribe(std::uint64_t account, std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto found = subscribers_.find(account);
    if (found == subscribers_.end()) return;
    found->second.erase(id);
    if (found->second.empty()) subscribers_.erase(found);
  }

  std::mutex mutex_;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::map<std::uint64_t, Callback>> subscribers_;
};

}  // namespace tessera::store
