#include "lifecycle.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

namespace tessera::service {

Lifecycle::Lifecycle(asio::io_context& io, std::chrono::milliseconds drain_timeout)
    : io_(io),
      strand_(asio::make_strand(io)),
      signals_(strand_, SIGINT, SIGTERM, SIGHUP),
      drain_timeout_(drain_timeout) {}

void Lifecycle::serve(net::Listener listener, net::ConnectionHandler handler) {
  auto& stored = listeners_.emplace_back(std::make_unique<net::Listener>(std::move(listener)));
  asio::co_spawn(strand_, stored->run(std::move(handler)), asio::detached);
}

void Lifecycle::start() {
  asio::co_spawn(strand_, wait_for_signals(), asio::detached);
}

void Lifecycle::request_stop() {
  asio::post(strand_, [this] {
    if (!draining_) asio::co_spawn(strand_, drain(), asio::detached);
  });
}

awaitable<void> Lifecycle::wait_for_signals() {
  for (;;) {
    auto [ec, signal] = co_await signals_.async_wait(use_nothrow);
    if (ec) co_return;
    if (signal == SIGHUP) {
      if (!tls_) continue;
      if (auto reloaded = tls_->reload(); reloaded) {
        spdlog::info("SIGHUP: reloaded TLS certificate {}", tls_->cert_file());
      } else {
        spdlog::error("SIGHUP: {} (still using the previous certificate)",
                      reloaded.error().message);
      }
      continue;
    }
    if (draining_) {
      spdlog::warn("second stop signal: stopping now");
      io_.stop();
      co_return;
    }
    spdlog::info("signal {}: draining (up to {} ms)", signal, drain_timeout_.count());
    asio::co_spawn(strand_, drain(), asio::detached);
  }
}

awaitable<void> Lifecycle::drain() {
  draining_ = true;
  for (auto& hook : drain_hooks_)
    hook();
  for (auto& listener : listeners_)
    listener->stop();
  const auto deadline = net::Clock::now() + drain_timeout_;
  for (auto& listener : listeners_)
    co_await listener->drain(deadline);
  spdlog::info("drained; exiting");
  signals_.cancel();
  io_.stop();
}

}  // namespace tessera::service
