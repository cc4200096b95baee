// Lifecycle: what a service process does between "listening" and "exited" — runs its
// listeners, reloads the TLS certificate on SIGHUP, and on SIGTERM/SIGINT drains: stop
// accepting, let sessions finish until the drain deadline, close the rest, stop the io_context
// (design.md §6 "graceful drain on SIGTERM"). A second SIGTERM/SIGINT during a drain ends the
// drain at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"

namespace tessera::service {

class Lifecycle {
 public:
  Lifecycle(asio::io_context& io, std::chrono::milliseconds drain_timeout);

  // The executor listeners must be bound on (a strand: accept loops and drain run there).
  asio::any_io_executor executor() const { return strand_; }
  // The certificate SIGHUP reloads (optional).
  void set_tls(std::shared_ptr<net::TlsContext> tls) { tls_ = std::move(tls); }
  // Takes a bound listener and starts accepting with `handler`.
  void serve(net::Listener listener, net::ConnectionHandler handler);
  // Work to run when the drain begins (e.g. stop a gRPC server), before listeners drain.
  void on_drain(std::function<void()> hook) { drain_hooks_.push_back(std::move(hook)); }
  // Starts waiting for signals; when the drain is done the io_context is stopped.
  void start();
  // Begins the drain as SIGTERM would (tests, fatal errors).
  void request_stop();

 private:
  awaitable<void> wait_for_signals();
  awaitable<void> drain();

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::signal_set signals_;
  std::chrono::milliseconds drain_timeout_;
  std::shared_ptr<net::TlsContext> tls_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::vector<std::function<void()>> drain_hooks_;
  bool draining_ = false;
};

}  // namespace tessera::service
