// The store's expected failures, as Errors whose codes are gRPC status names ("rpc.NOT_FOUND"),
// so the gRPC layer answers them with rpc::to_status and the table in
// proto/tessera/store/v1/README.md holds. Anything else (a RocksDB failure, "store.db") becomes
// INTERNAL.
#pragma once

#include <string>

#include "base/result.hpp"

namespace tessera::store {

inline Error not_found(std::string message) {
  return make_error("rpc.NOT_FOUND", std::move(message));
}
inline bool is_not_found(const Error& error) {
  return error.code == "rpc.NOT_FOUND";
}
inline Error already_exists(std::string message) {
  return make_error("rpc.ALREADY_EXISTS", std::move(message));
}
inline Error failed_precondition(std::string message) {
  return make_error("rpc.FAILED_PRECONDITION", std::move(message));
}
inline Error over_quota(std::string message) {
  return make_error("rpc.RESOURCE_EXHAUSTED", std::move(message));
}
inline Error invalid_argument(std::string message) {
  return make_error("rpc.INVALID_ARGUMENT", std::move(message));
}
inline Error permission_denied(std::string message) {
  return make_error("rpc.PERMISSION_DENIED", std::move(message));
}
inline Error unavailable(std::string message) {
  return make_error("rpc.UNAVAILABLE", std::move(message));
}
// Records that do not parse: the database is damaged or from an incompatible version.
inline Error corrupt(std::string message) {
  return make_error("rpc.DATA_LOSS", std::move(message));
}

}  // namespace tessera::store
