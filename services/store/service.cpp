#include "service.hpp"

#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "db.hpp"
#include "directory_grpc.hpp"
#include "grpc_services.hpp"
#include "maintenance.hpp"
#include "queue_grpc.hpp"
#include "rpc/server.hpp"

namespace tessera::store {
namespace {

// Everything the process serves with, torn down in reverse order.
struct App {
  std::unique_ptr<Db> db;
  Locks locks;
  Notifier notifier;
  std::unique_ptr<Context> context;
  std::unique_ptr<MessagesService> messages;
  std::unique_ptr<MailboxesService> mailboxes;
  std::unique_ptr<ChangesService> changes;
  std::unique_ptr<DirectoryService> directory;
  std::unique_ptr<QueueService> queue;
  std::unique_ptr<rpc::RpcServer> server;
  std::unique_ptr<Maintenance> maintenance;
  std::thread stopper;
  std::chrono::milliseconds grace{10000};
};

std::unique_ptr<App>& app() {
  static std::unique_ptr<App> instance;
  return instance;
}

}  // namespace

config::Schema schema() {
  config::Schema s;
  s.add_endpoint("grpc.listen", "0.0.0.0:17001",
                 "gRPC endpoint of the store services (tessera.store.v1)")
      .add_string("data.path", "/var/lib/tessera/store",
                  "directory of the RocksDB database (the only durable state)")
      .add_integer("grpc.threads", 256, 4, 4096,
                   "most threads serving calls at once; more calls wait (each may block on disk)")
      .add_size("queue.max_bytes", "10GiB",
                "bytes the relay queue may hold; Enqueue past it is refused (relay answers 452)")
      .add_duration("maintenance.interval", "1h",
                    "how often Trash retention (7 days), change-log trimming and idempotency "
                    "key expiry run");
  return s;
}

Status setup(service::Runtime& runtime) {
  const auto& config = runtime.config();
  auto& a = app();
  a = std::make_unique<App>();
  auto db = Db::open(config.get_string("data.path"));
  if (!db) return db.error();
  a->db = std::move(*db);
  a->context = std::make_unique<Context>(Context{*a->db, a->locks, a->notifier});
  a->messages = std::make_unique<MessagesService>(*a->context);
  a->mailboxes = std::make_unique<MailboxesService>(*a->context);
  a->changes = std::make_unique<ChangesService>(*a->context);
  a->directory = std::make_unique<DirectoryService>(*a->context);
  a->queue = std::make_unique<QueueService>(*a->context, config.get_size("queue.max_bytes"));
  a->grace = config.get_duration("drain.timeout");
  auto server = rpc::RpcServer::start(
      config.get_endpoint("grpc.listen").to_string(),
      {a->messages.get(), a->mailboxes.get(), a->changes.get(), a->directory.get(), a->queue.get()},
      {.config_key = "grpc.listen",
       .max_threads = static_cast<int>(config.get_int("grpc.threads"))});
  if (!server) return server.error();
  a->server = std::move(*server);
  spdlog::info("store serving gRPC on port {} with data in {}", a->server->port(),
               config.get_string("data.path"));
  a->maintenance =
      std::make_unique<Maintenance>(*a->context, config.get_duration("maintenance.interval"));
  runtime.lifecycle().on_drain([] {
    auto& current = app();
    // Watch streams end with UNAVAILABLE first (clients reconnect with their modseq), then the
    // server stops taking calls and lets running ones finish. shutdown() blocks: not on the
    // io thread.
    current->changes->hub().end_all();
    current->stopper = std::thread([raw = current.get()] { raw->server->shutdown(raw->grace); });
  });
  return {};
}

void teardown() {
  auto& a = app();
  if (!a) return;
  if (a->stopper.joinable()) a->stopper.join();
  if (a->server) a->server->shutdown(std::chrono::milliseconds(0));
  a->maintenance.reset();
  a.reset();  // services, then the database (closed by ~Db)
}

}  // namespace tessera::store
