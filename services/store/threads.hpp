// Conversations (ST-28): a message joins the thread of any message it references (References,
// In-Reply-To, RFC 5322 §3.6.4), else — when it looks like a reply or forward whose parent is
// not here — the thread of the latest message with the same base subject (RFC 5256 §2.1), else
// a new thread. Lookups are per account in the `threads` family and written in the same Txn.
#pragma once

#include <cstdint>

#include "base/result.hpp"
#include "tessera/storedb/v1/records.pb.h"
#include "txn.hpp"

namespace tessera::store {

Result<std::uint64_t> assign_thread(Txn& txn, AccountEdit& account,
                                    const storedb::v1::Derived& derived);

}  // namespace tessera::store
