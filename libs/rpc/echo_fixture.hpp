// Test support for libs/rpc: the EchoService (proto/tessera/testing/v1/echo.proto) on a real
// gRPC server at 127.0.0.1 with port 0, and a helper that runs a coroutine on a one-thread
// io_context. The service is synchronous: its handlers run on gRPC's threads, so `delay_ms`
// really delays without touching the io_context under test.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "base/asio.hpp"
#include "rpc/client.hpp"
#include "rpc/server.hpp"
#include "tessera/testing/v1/echo.grpc.pb.h"

namespace tessera::rpc::test {

namespace echo = tessera::testing::v1;
using EchoStub = echo::EchoService::Stub;

// Calls the server saw cancelled (by the client, a deadline or shutdown) while it waited.
inline std::atomic<int> cancelled_calls{0};

// Sleeps in small steps so that a cancelled or expired call is noticed (and counted).
inline bool wait_or_cancelled(grpc::ServerContext* context, std::uint32_t delay_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (context->IsCancelled()) {
      ++cancelled_calls;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class EchoServer final : public echo::EchoService::Service {
  grpc::Status Echo(grpc::ServerContext* context, const echo::EchoRequest* request,
                    echo::EchoReply* reply) override {
    if (!wait_or_cancelled(context, request->delay_ms())) return grpc::Status::CANCELLED;
    reply->set_text(request->text());
    if (request->text() == "whoami") {  // answers with the caller's metadata
      const auto& metadata = context->client_metadata();
      auto found = metadata.find("x-tessera-account");
      if (found == metadata.end()) return {grpc::StatusCode::NOT_FOUND, "no account"};
      reply->set_text(std::string(found->second.data(), found->second.size()));
    }
    return grpc::Status::OK;
  }
  grpc::Status EchoStream(grpc::ServerContext* context, const echo::EchoRequest* request,
                          grpc::ServerWriter<echo::EchoReply>* writer) override {
    for (std::uint32_t i = 0; i < request->repeat(); ++i) {
      if (!wait_or_cancelled(context, request->delay_ms())) return grpc::Status::CANCELLED;
      echo::EchoReply reply;
      reply.set_text(request->text());
      reply.set_index(i);
      if (!writer->Write(reply)) return grpc::Status::CANCELLED;
    }
    return grpc::Status::OK;
  }
  grpc::Status Collect(grpc::ServerContext*, grpc::ServerReader<echo::EchoRequest>* reader,
                       echo::EchoReply* reply) override {
    echo::EchoRequest request;
    std::string joined;
    while (reader->Read(&request))
      joined += request.text();
    reply->set_text(joined);
    return grpc::Status::OK;
  }
};

// A started server and a stub on a channel to it. Members go in reverse: stub, server (drained
// with no grace), service.
struct Fixture {
  EchoServer service;
  std::unique_ptr<RpcServer> server;
  std::unique_ptr<EchoStub> stub;

  Fixture() {
    auto started = RpcServer::start("127.0.0.1:0", {&service});
    REQUIRE(started);
    server = std::move(*started);
    stub = echo::EchoService::NewStub(make_channel(target()));
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

inline echo::EchoRequest request(std::string text, std::uint32_t delay_ms = 0,
                                 std::uint32_t repeat = 0) {
  echo::EchoRequest r;
  r.set_text(std::move(text));
  r.set_delay_ms(delay_ms);
  r.set_repeat(repeat);
  return r;
}

// Runs `body()` on a one-thread io_context to its end; a failed REQUIRE inside fails the test.
template <typename Body>
void run(Body body) {
  asio::io_context io;
  asio::co_spawn(io, body(), [](const std::exception_ptr& e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

}  // namespace tessera::rpc::test
