// tessera-store start-up: configuration schema and setup (open RocksDB, serve gRPC, run upkeep).
#pragma once

#include "config/schema.hpp"
#include "service/runtime.hpp"

namespace tessera::store {

config::Schema schema();
Status setup(service::Runtime& runtime);
// After the runtime's drain: stop gRPC (if the drain hook has not), stop upkeep, close the
// database cleanly.
void teardown();

}  // namespace tessera::store
