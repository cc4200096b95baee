#include "rpc/status.hpp"

#include <array>
#include <string>

namespace tessera::rpc {
namespace {

// Indexed by grpc::StatusCode (0..16), the names of the gRPC status codes document.
constexpr std::array<std::string_view, 17> kNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

constexpr std::string_view kPrefix = "rpc.";

}  // namespace

std::string_view status_name(grpc::StatusCode code) {
  const auto index = static_cast<std::size_t>(code);
  return index < kNames.size() ? kNames[index] : "UNKNOWN";
}

Error to_error(const grpc::Status& status) {
  std::string message = status.error_message();
  if (message.empty()) message = std::string(status_name(status.error_code()));
  return make_error(std::string(kPrefix) + std::string(status_name(status.error_code())),
                    std::move(message));
}

std::optional<grpc::StatusCode> status_code(const Error& error) {
  if (!error.code.starts_with(kPrefix)) return std::nullopt;
  const std::string_view name = std::string_view(error.code).substr(kPrefix.size());
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<grpc::StatusCode>(i);
  }
  return std::nullopt;
}

grpc::Status to_status(const Error& error) {
  return grpc::Status(status_code(error).value_or(grpc::StatusCode::INTERNAL), error.message);
}

}  // namespace tessera::rpc
