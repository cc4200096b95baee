// Failed-login throttling for Directory.Authenticate (SEC-02: one password for IMAP, POP3,
// submission and EAS, so one limiter for all of them). Failures are counted per account and per
// client address in a sliding window: each recent failure lengthens the delay the front end
// waits before answering, and past a threshold the account (from every address) or the address
// (for every account) is locked out for a while. Memory is bounded: the oldest entries are
// dropped first once the table is full. The state is per store process; a restart forgets it.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tessera::store {

struct AuthLimits {
  std::int64_t window_ms = 15 * 60 * 1000;   // failures older than this are forgotten
  std::uint32_t account_lockout = 10;        // failures of one account in the window
  std::uint32_t address_lockout = 30;        // failures from one address in the window
  std::int64_t lockout_ms = 15 * 60 * 1000;  // how long a lockout lasts
  std::uint32_t base_delay_ms = 250;         // first failure; doubles with each one
  std::uint32_t max_delay_ms = 5000;
  std::size_t max_entries = 100000;  // per table
};

class AuthLimiter {
 public:
  explicit AuthLimiter(AuthLimits limits = {}) : limits_(limits) {}

  // Milliseconds until `account` or `address` may try again; 0 if not locked out.
  std::int64_t locked_for(const std::string& account, const std::string& address,
                          std::int64_t now_ms);
  // Records a failure; returns the delay the front end should wait before answering.
  std::uint32_t failed(const std::string& account, const std::string& address, std::int64_t now_ms);
  void succeeded(const std::string& account);
  void clear(const std::string& account);  // a new password

 private:
  struct Entry {
    std::uint32_t failures = 0;
    std::int64_t first_ms = 0;
    std::int64_t locked_until_ms = 0;
    std::list<std::string>::iterator age;
  };
  struct Table {
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> order;  // oldest first
  };
  Entry& touch(Table& table, const std::string& key, std::int64_t now_ms);
  std::uint32_t record(Table& table, const std::string& key, std::uint32_t lockout,
                       std::int64_t now_ms);

  AuthLimits limits_;
  std::mutex mutex_;
  Table accounts_;
  Table addresses_;
};

}  // namespace tessera::store
