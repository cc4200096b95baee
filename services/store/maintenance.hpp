// Periodic upkeep of the store (one background thread): Trash retention (ST-09), change-log
// retention, and forgetting idempotency keys older than 24 hours. Each pass walks the accounts
// one Txn at a time, so it never holds an account for long.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "context.hpp"

namespace tessera::store {

struct MaintenanceReport {
  std::size_t accounts = 0;
  std::size_t trash_purged = 0;
  std::size_t keys_forgotten = 0;
};

// One pass over every account (tests call it directly).
Result<MaintenanceReport> run_maintenance(Context& context);

class Maintenance {
 public:
  Maintenance(Context& context, std::chrono::milliseconds interval);
  ~Maintenance();  // stops and joins
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

 private:
  void run();
  Context& context_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tessera::store
