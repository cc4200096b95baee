// Per-call settings shared by every call shape.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>

namespace tessera::rpc {

struct CallOptions {
  // The whole call must finish within this time (gRPC deadline, propagated to the server).
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  // Request metadata, e.g. {"x-tessera-account", "42"}; keys lower case (gRPC rule).
  std::vector<std::pair<std::string, std::string>> metadata;

  void apply(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    for (const auto& [key, value] : metadata)
      context.AddMetadata(key, value);
  }
};

}  // namespace tessera::rpc
