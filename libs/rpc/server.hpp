// RpcServer: a gRPC server with the standard health service (grpc.health.v1.Health, answered by
// gRPC's built-in implementation) so Kubernetes probes and clients can ask whether a service
// is serving — overall ("") and per registered service — and see NOT_SERVING as soon as a
// drain begins.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "base/result.hpp"

namespace tessera::rpc {

struct ServerOptions {
  std::string config_key = "grpc.listen";   // named in the bind error
  int max_receive_bytes = 8 * 1024 * 1024;  // bodies travel in chunks far below this
  int max_send_bytes = 8 * 1024 * 1024;
  // Upper bound on the threads of the synchronous API's pool (0 = gRPC's default, unbounded).
  // Calls beyond it wait for a thread instead of growing the process.
  int max_threads = 0;
};

class RpcServer {
 public:
  // Listens on `address` ("127.0.0.1:17001"; port 0 picks one) with `services` registered; they
  // must outlive the server. A bind failure is one line, e.g. "cannot listen for gRPC on
  // 127.0.0.1:17001: address in use (change grpc.listen)", code rpc.listen.
  static Result<std::unique_ptr<RpcServer>> start(const std::string& address,
                                                  const std::vector<grpc::Service*>& services,
                                                  const ServerOptions& options = {});
  ~RpcServer();  // shutdown(0) if not done yet
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  int port() const { return port_; }
  // Full names of the registered services ("tessera.store.v1.Messages", ...), each SERVING.
  const std::vector<std::string>& services() const { return services_; }

  // Health → NOT_SERVING (overall and per service), then stop taking calls and let running ones
  // finish until `grace` has passed; calls left are cancelled. Blocks until the server has
  // stopped: call it from a thread that may block (the signal handler's, not an io_context's).
  void shutdown(std::chrono::milliseconds grace);

 private:
  RpcServer(std::unique_ptr<grpc::Server> server, int port, std::vector<std::string> services)
      : server_(std::move(server)), port_(port), services_(std::move(services)) {}
  void set_serving(bool serving);

  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::vector<std::string> services_;
  bool shut_down_ = false;
};

}  // namespace tessera::rpc
