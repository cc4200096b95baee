// Db: the store's RocksDB database, opened with one column family per access pattern
// (design.md §4). Every write that acknowledges data is synced to disk before it returns
// (WriteOptions::sync): a reply of 250 / OK / APPEND OK depends on it. Concurrent synced
// writers are grouped by RocksDB into one fsync (group commit), which is where throughput
// comes from. Errors are values naming the path and what failed.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rocksdb/db.h>

#include "base/result.hpp"

namespace tessera::store {

// Column families; their order is the on-disk handle order.
enum class Family {
  accounts,     // directory: domains, accounts, aliases, sender addresses, credentials
  mailboxes,    // account | mailbox → mailbox record (UIDVALIDITY, UIDNEXT, counts)
  index,        // account | mailbox | uid → message record
  blobs,        // content hash → raw RFC 5322 bytes (BlobDB for large values), ref-counted
  changes,      // account | modseq → change record
  queue,        // relay queue entries
  settings,     // per-account settings, filters, vacation, ...
  threads,      // account | Message-ID or subject hash → thread id (ST-28)
  idempotency,  // caller's idempotency key → first reply, kept 24 hours
};
inline constexpr std::size_t kFamilies = 9;
std::string_view family_name(Family family);

class Db {
 public:
  // Opens (creating if missing) the database under `path` with every column family.
  static Result<std::unique_ptr<Db>> open(const std::filesystem::path& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  rocksdb::ColumnFamilyHandle* family(Family f) const {
    return handles_[static_cast<std::size_t>(f)];
  }
  // Applies the batch atomically and syncs the write-ahead log before returning.
  Status write_synced(rocksdb::WriteBatch& batch);
  // Applies the batch atomically with its write-ahead log record handed to the kernel, not
  // synced: it survives the store's own crash (kill -9), not the machine's, and the next synced
  // write makes it durable too. Only for state whose loss repeats work instead of losing
  // acknowledged data (the queue's leases and attempt results: delivery is at least once).
  Status write_logged(rocksdb::WriteBatch& batch);
  // Point read; nullopt when absent.
  Result<std::optional<std::string>> get(Family f, std::string_view key) const;
  // Calls `visit(key, value)` for every key starting with `prefix`, in key order, from `from`
  // (empty: from the prefix) until `visit` returns false. Reads one consistent snapshot.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  Status scan(Family f, std::string_view prefix, const Visitor& visit,
              std::string_view from = {}) const;
  rocksdb::DB& raw() { return *db_; }

 private:
  Db(std::unique_ptr<rocksdb::DB> db, std::array<rocksdb::ColumnFamilyHandle*, kFamilies> handles,
     std::string path)
      : db_(std::move(db)), handles_(handles), path_(std::move(path)) {}

  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kFamilies> handles_{};
  std::string path_;
};

}  // namespace tessera::store
