#include "blobs.hpp"

#include "crypto/digest.hpp"
#include "errors.hpp"
#include "keys.hpp"
#include "locks.hpp"

namespace tessera::store {

std::string blob_id(std::string_view bytes) {
  return crypto::sha256(bytes);
}

void BlobDelta::add(const std::string& id, std::int64_t refs) {
  changes_[id] += refs;
}

void BlobDelta::provide(const std::string& id, std::string_view bytes,
                        storedb::v1::Derived derived) {
  contents_.insert_or_assign(id, Content{bytes, std::move(derived)});
}

std::vector<std::uint64_t> BlobDelta::lock_keys() const {
  std::vector<std::uint64_t> out;
  out.reserve(changes_.size());
  for (const auto& [id, refs] : changes_)
    out.push_back(StripedLocks::key_of(id));
  return out;
}

Status BlobDelta::apply(const Db& db, rocksdb::WriteBatch& batch) const {
  // Read everything first, so a failure leaves the batch without blob changes.
  struct Update {
    std::string id;
    storedb::v1::BlobRefs refs;
    bool exists = false;
    std::int64_t delta = 0;
  };
  std::vector<Update> updates;
  for (const auto& [id, delta] : changes_) {
    if (delta == 0) continue;
    Update update{id, {}, false, delta};
    auto stored = db.get(Family::blobs, keys::blob_refs(id));
    if (!stored) return stored.error();
    if (*stored) {
      if (!update.refs.ParseFromString(**stored))
        return corrupt("blob reference count unreadable for " + crypto::hex(id));
      update.exists = true;
    }
    const auto now = static_cast<std::int64_t>(update.refs.refs()) + delta;
    if (now < 0) return corrupt("blob reference count would go below zero");
    if (!update.exists && delta > 0 && !contents_.contains(id))
      return corrupt("reference to a missing blob " + crypto::hex(id));
    updates.push_back(std::move(update));
  }
  auto* family = db.family(Family::blobs);
  for (auto& update : updates) {
    const auto refs =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(update.refs.refs()) + update.delta);
    if (refs == 0) {
      batch.Delete(family, keys::blob_refs(update.id));
      batch.Delete(family, keys::blob(update.id));
      batch.Delete(family, keys::blob_derived(update.id));
      continue;
    }
    if (!update.exists) {
      const auto& content = contents_.at(update.id);
      batch.Put(family, keys::blob(update.id),
                rocksdb::Slice(content.bytes.data(), content.bytes.size()));
      batch.Put(family, keys::blob_derived(update.id), content.derived.SerializeAsString());
      update.refs.set_size(content.bytes.size());
    }
    update.refs.set_refs(refs);
    batch.Put(family, keys::blob_refs(update.id), update.refs.SerializeAsString());
  }
  return {};
}

Result<std::string> read_blob(const Db& db, std::string_view id) {
  auto stored = db.get(Family::blobs, keys::blob(id));
  if (!stored) return stored.error();
  if (!*stored) return corrupt("message content missing: blob " + crypto::hex(id));
  return std::move(**stored);
}

Result<std::optional<storedb::v1::Derived>> read_derived(const Db& db, std::string_view id) {
  auto stored = db.get(Family::blobs, keys::blob_derived(id));
  if (!stored) return stored.error();
  if (!*stored) return std::optional<storedb::v1::Derived>();
  storedb::v1::Derived derived;
  if (!derived.ParseFromString(**stored)) return std::optional<storedb::v1::Derived>();
  return std::optional<storedb::v1::Derived>(std::move(derived));
}

}  // namespace tessera::store
