#include "maintenance.hpp"

#include <spdlog/spdlog.h>

#include "changes.hpp"
#include "idempotency.hpp"
#include "keys.hpp"
#include "messages.hpp"

namespace tessera::store {
namespace {

Result<std::vector<std::uint64_t>> all_accounts(const Db& db) {
  std::vector<std::uint64_t> accounts;
  auto scanned = db.scan(Family::mailboxes, {}, [&](std::string_view key, std::string_view) {
    if (key.size() == 16 && keys::get_u64(key, 8) == 0) accounts.push_back(*keys::get_u64(key, 0));
    return true;
  });
  if (!scanned) return scanned.error();
  return accounts;
}

Result<std::size_t> forget_idempotency_keys(Context& context) {
  const auto cutoff = context.now_ms() - kIdempotencyMs;
  rocksdb::WriteBatch batch;
  auto scanned =
      context.db.scan(Family::idempotency, {}, [&](std::string_view key, std::string_view value) {
        storedb::v1::IdempotentReply reply;
        if (!reply.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
            reply.created_unix_ms() < cutoff)
          batch.Delete(context.db.family(Family::idempotency),
                       rocksdb::Slice(key.data(), key.size()));
        return true;
      });
  if (!scanned) return scanned.error();
  const auto count = static_cast<std::size_t>(batch.Count());
  if (count > 0) {
    if (auto written = context.db.write_synced(batch); !written) return written.error();
  }
  return count;
}

}  // namespace

Result<MaintenanceReport> run_maintenance(Context& context) {
  MaintenanceReport report;
  auto accounts = all_accounts(context.db);
  if (!accounts) return accounts.error();
  MessageOps messages(context);
  ChangeOps changes(context);
  for (auto id : *accounts) {
    ++report.accounts;
    auto purged = messages.purge_trash(id);
    if (purged)
      report.trash_purged += *purged;
    else if (purged.error().code != "rpc.NOT_FOUND")
      return purged.error();
    if (auto trimmed = changes.trim(id); !trimmed && trimmed.error().code != "rpc.NOT_FOUND")
      return trimmed.error();
  }
  auto forgotten = forget_idempotency_keys(context);
  if (!forgotten) return forgotten.error();
  report.keys_forgotten = *forgotten;
  return report;
}

Maintenance::Maintenance(Context& context, std::chrono::milliseconds interval)
    : context_(context), interval_(interval), thread_([this] { run(); }) {}

Maintenance::~Maintenance() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Maintenance::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto report = run_maintenance(context_);
    if (report) {
      spdlog::info(
          "maintenance: {} accounts, {} Trash messages purged, {} idempotency keys "
          "forgotten",
          report->accounts, report->trash_purged, report->keys_forgotten);
    } else {
      spdlog::error("maintenance failed: {}", report.error().message);
    }
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace tessera::store
