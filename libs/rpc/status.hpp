// gRPC statuses as Tessera Errors: code "rpc.<STATUS_NAME>" (e.g. "rpc.DEADLINE_EXCEEDED"), the
// status message as the message. Services map the status code to protocol replies in one place
// (NOT_FOUND → unknown user, RESOURCE_EXHAUSTED → over quota, UNAVAILABLE → try later).
#pragma once

#include <optional>
#include <string_view>

#include <grpcpp/support/status.h>

#include "base/result.hpp"

namespace tessera::rpc {

// "DEADLINE_EXCEEDED" for grpc::StatusCode::DEADLINE_EXCEEDED.
std::string_view status_name(grpc::StatusCode code);

// An Error from a failed status (the status must not be OK).
Error to_error(const grpc::Status& status);

// The gRPC status code an Error came from, or nullopt when it is not an rpc.* error.
std::optional<grpc::StatusCode> status_code(const Error& error);

// The status a server answers for an Error: its own code for "rpc.*" errors (so a service can
// fail with make_error("rpc.NOT_FOUND", ...)), INTERNAL for anything else; the message is kept.
grpc::Status to_status(const Error& error);

}  // namespace tessera::rpc
