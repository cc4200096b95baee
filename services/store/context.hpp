// What every store operation works with: the database, the lock tables, the live change
// notifier and the clock (a function, so tests can move time for Trash retention and lockouts).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "db.hpp"
#include "locks.hpp"
#include "notifier.hpp"

namespace tessera::store {

using Clock = std::function<std::int64_t()>;  // unix milliseconds

inline std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Context {
  Db& db;
  Locks& locks;
  Notifier& notifier;
  Clock now_ms = system_now_ms;
};

}  // namespace tessera::store
