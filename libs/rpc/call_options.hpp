// Per-call settings shared by every call shape.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>

namespace tessera::rpc {

struct CallOptions {
  // The whole call must finish within this time from its start (gRPC deadline, propagated to
  // the server), so no call can hang a session.
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  // An absolute deadline instead of `timeout`, e.g. the one of the request being served.
  std::optional<std::chrono::system_clock::time_point> deadline;
  // Wait (within the deadline) for the channel to connect instead of failing at once with
  // UNAVAILABLE, e.g. while the store restarts during a rollout.
  bool wait_for_ready = false;
  // Request metadata, e.g. {"x-tessera-account", "42"}; keys lower case (gRPC rule).
  std::vector<std::pair<std::string, std::string>> metadata;

  void apply(grpc::ClientContext& context) const {
    context.set_deadline(deadline.value_or(std::chrono::system_clock::now() + timeout));
    context.set_wait_for_ready(wait_for_ready);
    for (const auto& [key, value] : metadata)
      context.AddMetadata(key, value);
  }
};

}  // namespace tessera::rpc
