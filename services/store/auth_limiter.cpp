#include "auth_limiter.hpp"

#include <algorithm>

namespace tessera::store {

AuthLimiter::Entry& AuthLimiter::touch(Table& table, const std::string& key, std::int64_t now_ms) {
  auto found = table.entries.find(key);
  if (found != table.entries.end()) {
    auto& entry = found->second;
    if (now_ms - entry.first_ms > limits_.window_ms && entry.locked_until_ms <= now_ms) {
      entry.failures = 0;
      entry.first_ms = now_ms;
    }
    table.order.splice(table.order.end(), table.order, entry.age);
    return entry;
  }
  if (table.entries.size() >= limits_.max_entries) {
    table.entries.erase(table.order.front());
    table.order.pop_front();
  }
  table.order.push_back(key);
  Entry entry;
  entry.first_ms = now_ms;
  entry.age = std::prev(table.order.end());
  return table.entries.emplace(key, entry).first->second;
}

std::uint32_t AuthLimiter::record(Table& table, const std::string& key, std::uint32_t lockout,
                                  std::int64_t now_ms) {
  auto& entry = touch(table, key, now_ms);
  ++entry.failures;
  if (entry.failures >= lockout) entry.locked_until_ms = now_ms + limits_.lockout_ms;
  return entry.failures;
}

std::int64_t AuthLimiter::locked_for(const std::string& account, const std::string& address,
                                     std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::int64_t wait = 0;
  for (auto* table : {&accounts_, &addresses_}) {
    const auto& key = table == &accounts_ ? account : address;
    auto found = table->entries.find(key);
    if (found != table->entries.end())
      wait = std::max(wait, found->second.locked_until_ms - now_ms);
  }
  return std::max<std::int64_t>(wait, 0);
}

std::uint32_t AuthLimiter::failed(const std::string& account, const std::string& address,
                                  std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const auto by_account = record(accounts_, account, limits_.account_lockout, now_ms);
  const auto by_address =
      address.empty() ? 0 : record(addresses_, address, limits_.address_lockout, now_ms);
  const auto failures = std::min<std::uint32_t>(std::max(by_account, by_address), 16);
  const std::uint64_t delay = static_cast<std::uint64_t>(limits_.base_delay_ms)
                              << (failures > 0 ? failures - 1 : 0);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(delay, limits_.max_delay_ms));
}

void AuthLimiter::succeeded(const std::string& account) {
  clear(account);
}

void AuthLimiter::clear(const std::string& account) {
  std::lock_guard lock(mutex_);
  auto found = accounts_.entries.find(account);
  if (found == accounts_.entries.end()) return;
  accounts_.order.erase(found->second.age);
  accounts_.entries.erase(found);
}

}  // namespace tessera::store
