#include "rpc/server.hpp"

#include <grpc/support/log.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

namespace tessera::rpc {
namespace {

// gRPC's own log lines go through spdlog (one format, one destination). Its errors are demoted
// to debug: every failure that matters reaches the caller as a status or an Error, and a
// start-up failure must stay one line.
void forward_grpc_log(gpr_log_func_args* args) {
  spdlog::debug("grpc {}:{}: {}", args->file, args->line, args->message);
}

}  // namespace

Result<std::unique_ptr<RpcServer>> RpcServer::start(const std::string& address,
                                                    const std::vector<grpc::Service*>& services,
                                                    const ServerOptions& options) {
  // Process-wide switch; must precede the builder (grpc::EnableDefaultHealthCheckService docs).
  grpc::EnableDefaultHealthCheckService(true);
  gpr_set_log_function(forward_grpc_log);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  // Keepalive pings from clients at most every 10 s, also while no call runs (Kubernetes
  // connections idle between bursts; see gRPC's keepalive guide).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a taken port must fail the bind
  for (auto* service : services)
    builder.RegisterService(service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    return make_error("rpc.listen", "cannot listen for gRPC on " + address +
                                        ": address in use or not available (change " +
                                        options.config_key + ")");
  }
  auto result = std::unique_ptr<RpcServer>(new RpcServer(std::move(server), port));
  result->set_serving(true);
  return result;
}

RpcServer::~RpcServer() {
  shutdown(std::chrono::milliseconds(0));
}

void RpcServer::set_serving(bool serving) {
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(serving);
}

void RpcServer::shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  set_serving(false);
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

}  // namespace tessera::rpc
