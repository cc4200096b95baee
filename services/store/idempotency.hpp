// Idempotency keys (design §6): a caller that lost a reply retries with the same key and gets
// the first reply, nothing is stored twice. Replies are kept 24 hours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <google/protobuf/message_lite.h>
#include <rocksdb/write_batch.h>

#include "base/result.hpp"
#include "db.hpp"
#include "errors.hpp"
#include "tessera/storedb/v1/records.pb.h"

namespace tessera::store {

inline constexpr std::int64_t kIdempotencyMs = 24LL * 3600 * 1000;

// The remembered reply under `key`, if younger than 24 hours.
template <typename Reply>
Result<std::optional<Reply>> recall(const Db& db, const std::string& key, std::int64_t now_ms) {
  auto stored = db.get(Family::idempotency, key);
  if (!stored) return stored.error();
  if (!*stored) return std::optional<Reply>();
  storedb::v1::IdempotentReply remembered;
  Reply reply;
  if (!remembered.ParseFromString(**stored) || !reply.ParseFromString(remembered.reply()))
    return corrupt("idempotency record unreadable");
  if (now_ms - remembered.created_unix_ms() > kIdempotencyMs) return std::optional<Reply>();
  return std::optional<Reply>(std::move(reply));
}

// Puts `reply` under `key` into the batch of the write it belongs to.
inline void remember(const Db& db, rocksdb::WriteBatch& batch, const std::string& key,
                     const google::protobuf::MessageLite& reply, std::int64_t now_ms) {
  storedb::v1::IdempotentReply remembered;
  remembered.set_created_unix_ms(now_ms);
  remembered.set_reply(reply.SerializeAsString());
  batch.Put(db.family(Family::idempotency), key, remembered.SerializeAsString());
}

}  // namespace tessera::store
