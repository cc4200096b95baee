#include "db.hpp"

#include <vector>

#include "keys.hpp"

namespace tessera::store {
namespace {

constexpr std::array<std::string_view, kFamilies> kNames = {"accounts", "mailboxes", "index",
                                                            "blobs",    "changes",   "queue",
                                                            "settings", "threads",   "idempotency"};

rocksdb::ColumnFamilyOptions family_options(Family family) {
  rocksdb::ColumnFamilyOptions options;
  if (family == Family::blobs) {
    // Message bodies: values past 64 KiB live in blob files, so compaction of the LSM tree
    // does not rewrite them (RocksDB integrated BlobDB).
    options.enable_blob_files = true;
    options.min_blob_size = 64 * 1024;
    options.enable_blob_garbage_collection = true;
  }
  return options;
}

Error db_error(std::string_view what, const std::string& path, const rocksdb::Status& status) {
  return make_error("store.db", std::string(what) + " " + path + ": " + status.ToString());
}

}  // namespace

std::string_view family_name(Family family) {
  return kNames[static_cast<std::size_t>(family)];
}

Result<std::unique_ptr<Db>> Db::open(const std::filesystem::path& path) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // Durability comes from WriteOptions::sync on every acknowledged write (write_synced): after
  // kill -9, recovery replays the write-ahead log up to its last complete record (RocksDB's
  // default kPointInTimeRecovery), which includes every synced batch.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (std::size_t i = 0; i < kFamilies; ++i) {
    descriptors.emplace_back(std::string(kNames[i]), family_options(static_cast<Family>(i)));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(options, path.string(), descriptors, &handles, &raw);
  if (!status.ok()) return db_error("cannot open the store database", path.string(), status);
  std::unique_ptr<rocksdb::DB> db(raw);
  // handles[0] is the default family, which the store does not use.
  db->DestroyColumnFamilyHandle(handles[0]);
  std::array<rocksdb::ColumnFamilyHandle*, kFamilies> ours{};
  for (std::size_t i = 0; i < kFamilies; ++i)
    ours[i] = handles[i + 1];
  return std::unique_ptr<Db>(new Db(std::move(db), ours, path.string()));
}

Db::~Db() {
  for (auto* handle : handles_) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

Status Db::write_synced(rocksdb::WriteBatch& batch) {
  rocksdb::WriteOptions options;
  options.sync = true;  // the acknowledgement rule: on disk before we answer
  auto status = db_->Write(options, &batch);
  if (!status.ok()) return db_error("write failed in", path_, status);
  return {};
}

Status Db::write_logged(rocksdb::WriteBatch& batch) {
  auto status = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) return db_error("write failed in", path_, status);
  return {};
}

Result<std::optional<std::string>> Db::get(Family f, std::string_view key) const {
  std::string value;
  auto status =
      db_->Get(rocksdb::ReadOptions(), family(f), rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return db_error("read failed in", path_, status);
  return std::optional<std::string>(std::move(value));
}

Status Db::scan(Family f, std::string_view prefix, const Visitor& visit,
                std::string_view from) const {
  const std::string upper = keys::prefix_end(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  if (!upper.empty()) options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, family(f)));
  const std::string_view start = from.empty() ? prefix : from;
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    const auto key = it->key();
    const auto value = it->value();
    if (!visit(std::string_view(key.data(), key.size()),
               std::string_view(value.data(), value.size())))
      break;
  }
  if (!it->status().ok()) return db_error("read failed in", path_, it->status());
  return {};
}

}  // namespace tessera::store
