// Awaitable gRPC calls: a coroutine on an Asio io_context calls another service without
// blocking its thread. Calls use gRPC's callback API; results come back on the awaiting
// coroutine's executor (completion.hpp). Every call has a deadline; cancelling the awaiting
// coroutine (asio cancellation, e.g. `call || timer`) cancels the RPC (ClientContext::TryCancel).
//
//   auto reply = co_await rpc::unary(stub->async(), &Echo::Stub::async::Echo, request);
//   auto reader = rpc::server_stream(stub->async(), &Echo::Stub::async::EchoStream, request);
//   while (auto item = co_await reader->next()) { if (!*item) break; use(**item); }
//   auto writer = rpc::client_stream(stub->async(), &Echo::Stub::async::Collect);
//   co_await writer->write(chunk); auto reply = co_await writer->finish();
//
// Failures are Errors with code "rpc.<STATUS>" (rpc/status.hpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "rpc/completion.hpp"
#include "rpc/status.hpp"
#include "rpc/stream_reader.hpp"
#include "rpc/stream_writer.hpp"

namespace tessera::rpc {

// A channel to `target` ("127.0.0.1:17001") with Tessera's limits and keepalive.
std::shared_ptr<grpc::Channel> make_channel(const std::string& target);

template <typename AsyncStub, typename Request, typename Response>
using UnaryMethod = void (AsyncStub::*)(grpc::ClientContext*, const Request*, Response*,
                                        std::function<void(grpc::Status)>);

// One request, one response.
template <typename AsyncStub, typename Request, typename Response>
awaitable<Result<Response>> unary(AsyncStub* stub, UnaryMethod<AsyncStub, Request, Response> method,
                                  Request request, CallOptions options = {}) {
  struct State {
    grpc::ClientContext context;
    Request request;
    Response response;
  };
  auto state = std::make_shared<State>();
  state->request = std::move(request);
  options.apply(state->context);
  // A named initiation object: GCC 12 mishandles lambdas with captures built inside co_await.
  auto initiation = [stub, method, state](auto handler) {
    detail::on_cancellation(handler, [state] { state->context.TryCancel(); });
    auto done = detail::make_completion<grpc::Status>(std::move(handler));
    (stub->*method)(&state->context, &state->request, &state->response,
                    [done](grpc::Status status) { done(std::move(status)); });
  };
  grpc::Status status =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
          std::move(initiation), asio::use_awaitable);
  if (!status.ok()) co_return to_error(status);
  co_return std::move(state->response);
}

}  // namespace tessera::rpc
