// The Changes service logic: reading an account's change log (RFC 7162 CONDSTORE/QRESYNC,
// EAS sync keys) and the state a Watch stream starts from.
#pragma once

#include <cstdint>

#include "base/result.hpp"
#include "context.hpp"
#include "tessera/store/v1/changes.pb.h"

namespace tessera::store {

// Change sets older than this are trimmed (QRESYNC and EAS clients away longer resynchronise).
inline constexpr std::int64_t kChangeRetentionMs = 30LL * 24 * 3600 * 1000;

class ChangeOps {
 public:
  explicit ChangeOps(Context& context) : context_(context) {}
  Result<v1::ListChangesReply> list(const v1::ListChangesRequest& request);
  // The notice a Watch sends at once when the account moved past `since_modseq` (nullopt: it
  // did not); NOT_FOUND for an unknown account.
  Result<std::optional<v1::WatchEvent>> catch_up(const v1::WatchRequest& request);
  // Deletes change sets older than the retention and moves oldest_modseq forward.
  Status trim(std::uint64_t account_id);

 private:
  Context& context_;
};

}  // namespace tessera::store
