// A small cache of what the store says about a domain (its DKIM keys, its mandatory signature),
// so a submission does not cost one more store call each: values are kept a minute, so an
// operator's change applies within a minute. Thread-safe (sessions run on several threads);
// bounded (one entry per hosted domain; cleared when it grows past that).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace tessera::relay {

template <typename Value>
class TimedCache {
 public:
  static constexpr auto kLifetime = std::chrono::minutes(1);
  static constexpr std::size_t kMaxEntries = 10000;

  std::optional<Value> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || std::chrono::steady_clock::now() - it->second.stored > kLifetime)
      return std::nullopt;
    return it->second.value;
  }

  void put(const std::string& key, Value value) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_[key] = Entry{std::chrono::steady_clock::now(), std::move(value)};
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point stored;
    Value value;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace tessera::relay
