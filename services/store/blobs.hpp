// Raw messages, content-addressed and reference-counted (design §4): a message delivered to
// fifty accounts, copied to three folders and queued for the relay is stored once. The id is
// the SHA-256 of the bytes; the bytes themselves are byte-exact what the client sent.
//
// Reference counts change only through a BlobDelta applied while holding the blob stripes of
// Locks::blobs (after any account stripes), in the same batch as the records that gain or lose
// the references. A blob whose count reaches zero is deleted in that batch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "base/result.hpp"
#include "db.hpp"
#include "tessera/storedb/v1/records.pb.h"

namespace tessera::store {

// The blob id of `bytes`: 32 raw bytes of SHA-256.
std::string blob_id(std::string_view bytes);

class BlobDelta {
 public:
  // `refs` more (or, negative, fewer) references to the blob.
  void add(const std::string& id, std::int64_t refs);
  // The content of a blob gaining references: written with its derived data if the blob does
  // not exist yet. `bytes` must outlive apply().
  void provide(const std::string& id, std::string_view bytes, storedb::v1::Derived derived);
  // Keys for Locks::blobs.lock().
  std::vector<std::uint64_t> lock_keys() const;
  bool empty() const { return changes_.empty(); }

  // Reads the current counts and writes the new ones (and new content) into `batch`. Errors:
  // store.db; rpc.DATA_LOSS when a reference is added to a missing blob with no content
  // provided or a count would go below zero (a bug or damage: nothing is written then).
  Status apply(const Db& db, rocksdb::WriteBatch& batch) const;

 private:
  struct Content {
    std::string_view bytes;
    storedb::v1::Derived derived;
  };
  std::map<std::string, std::int64_t> changes_;
  std::map<std::string, Content> contents_;
};

// The bytes of a blob; rpc.DATA_LOSS if it is missing (a record points at nothing).
Result<std::string> read_blob(const Db& db, std::string_view id);
// The derived data of a blob; nullopt when it is missing.
Result<std::optional<storedb::v1::Derived>> read_derived(const Db& db, std::string_view id);

}  // namespace tessera::store
