#include "rpc/server.hpp"

#include <algorithm>

#include <grpc/support/log.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_initializer.h>
#include <spdlog/spdlog.h>

#include "base/bind_probe.hpp"

namespace tessera::rpc {
namespace {

// gRPC's own log lines go through spdlog (one format, one destination). Its errors are demoted
// to debug: every failure that matters reaches the caller as a status or an Error, and a
// start-up failure must stay one line.
void forward_grpc_log(gpr_log_func_args* args) {
  spdlog::debug("grpc {}:{}: {}", args->file, args->line, args->message);
}

// grpc::Service keeps its name private; the server learns it at registration and shows it to
// builder plugins (the hook gRPC's reflection plugin uses). This plugin copies the list out so
// that each service gets its own health status.
class ServiceNamesPlugin final : public grpc::ServerBuilderPlugin {
 public:
  explicit ServiceNamesPlugin(std::vector<std::string>* names) : names_(names) {}
  std::string name() override { return "tessera_service_names"; }
  void InitServer(grpc::ServerInitializer*) override {}
  void Finish(grpc::ServerInitializer* initializer) override {
    *names_ = *initializer->GetServiceList();
  }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  std::vector<std::string>* names_;
};

class ServiceNamesOption final : public grpc::ServerBuilderOption {
 public:
  explicit ServiceNamesOption(std::vector<std::string>* names) : names_(names) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ServiceNamesPlugin>(names_));
  }

 private:
  std::vector<std::string>* names_;
};

void configure(grpc::ServerBuilder& builder, const ServerOptions& options) {
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.SetMaxSendMessageSize(options.max_send_bytes);
  if (options.max_threads > 0) {
    grpc::ResourceQuota quota("tessera-rpc-server");
    quota.SetMaxThreads(options.max_threads);
    builder.SetResourceQuota(quota);
    // Keep up to max_threads/4 threads polling instead of gRPC's default of 2: past that, every
    // concurrent call starts a thread and ends it afterwards, and under load that churn costs
    // more CPU than the calls themselves.
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                                std::max(2, options.max_threads / 4));
  }
  // Clients ping every 20 s, also between calls (channel.cpp), so that a killed pod is noticed
  // on an idle connection; allow that without ever answering with GOAWAY (gRPC's keepalive
  // guide). The server pings too, to drop clients that vanished with a stream open.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  // gRPC sets SO_REUSEPORT by default, which would let a second server share a taken port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
}

// gRPC reports a failed bind only as "no server": find the cause by binding ourselves.
std::string bind_reason(const std::string& address) {
  auto probe = probe_bind(address);
  return probe ? "address in use or not available" : probe.error().message;
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
  configure(builder, options);
  std::vector<std::string> names;
  builder.SetOption(std::make_unique<ServiceNamesOption>(&names));
  for (auto* service : services)
    builder.RegisterService(service);
  // A failed bind gives no server, or (some gRPC versions) a server with port 0.
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    if (server) server->Shutdown();
    return make_error("rpc.listen", "cannot listen for gRPC on " + address + ": " +
                                        bind_reason(address) + " (change " + options.config_key +
                                        ")");
  }
  auto result = std::unique_ptr<RpcServer>(new RpcServer(std::move(server), port, names));
  result->set_serving(true);
  return result;
}

RpcServer::~RpcServer() {
  shutdown(std::chrono::milliseconds(0));
}

void RpcServer::set_serving(bool serving) {
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  // The overall status ("") and each service's: probes may ask for either.
  for (const auto& name : services_)
    health->SetServingStatus(name, serving);
  health->SetServingStatus(serving);
}

void RpcServer::shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  set_serving(false);
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

}  // namespace tessera::rpc
