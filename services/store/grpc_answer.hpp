// What every store RPC shares: answering a Result (the value into the reply, or the error as
// its gRPC status) and reading a body streamed after a header.
#pragma once

#include <string>

#include <grpcpp/grpcpp.h>

#include "base/result.hpp"
#include "errors.hpp"
#include "message_data.hpp"
#include "rpc/status.hpp"

namespace tessera::store {

template <typename T>
grpc::Status answer(Result<T> result, T* reply) {
  if (!result) return rpc::to_status(result.error());
  *reply = std::move(*result);
  return grpc::Status::OK;
}

// Reads a body that follows a header on a client stream: exactly `declared` bytes in chunks of
// at most 1 MiB, refusing a declared size over `limit` before buffering anything.
template <typename Request>
Result<std::string> read_body(grpc::ServerReader<Request>* reader, std::uint64_t declared,
                              std::uint64_t limit) {
  if (declared > limit)
    return invalid_argument("message of " + std::to_string(declared) + " bytes is over the " +
                            std::to_string(limit) + "-byte limit");
  std::string body;
  body.reserve(std::min<std::uint64_t>(declared, kMaxChunkBytes));  // grows with real data only
  Request request;
  while (reader->Read(&request)) {
    if (request.part_case() != Request::kChunk)
      return invalid_argument("only body chunks may follow the header");
    if (request.chunk().size() > kMaxChunkBytes)
      return invalid_argument("a body chunk is at most 1 MiB");
    if (body.size() + request.chunk().size() > declared)
      return invalid_argument("more body bytes than the declared size");
    body += request.chunk();
  }
  if (body.size() != declared)
    return invalid_argument("body ended after " + std::to_string(body.size()) + " of " +
                            std::to_string(declared) + " declared bytes");
  return body;
}

}  // namespace tessera::store
