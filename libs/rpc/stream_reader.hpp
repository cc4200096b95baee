// Server-streaming calls (e.g. store.GetBody): read the responses one at a time from a
// coroutine. One read is outstanding at a time, so a slow reader slows the server (flow
// control). Dropping the reader before the end cancels the call; the reactor keeps itself
// alive until gRPC's OnDone, so nothing is freed under gRPC's feet.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "rpc/call_options.hpp"
#include "rpc/completion.hpp"
#include "rpc/status.hpp"

namespace tessera::rpc {
namespace detail {

template <typename Response>
class ReadReactor final : public grpc::ClientReadReactor<Response> {
 public:
  using Item = Result<std::optional<Response>>;

  grpc::ClientContext context;

  // Starts the call; `self` keeps this alive until OnDone.
  template <typename Start>
  void start(std::shared_ptr<ReadReactor> self, Start start_call) {
    self_ = std::move(self);
    start_call(this);
    this->AddHold();  // released when reading ends, so OnDone waits for our last read
    this->StartCall();
  }

  void next(Completion<Item> done) {
    std::unique_lock lock(mutex_);
    if (finished_) {
      lock.unlock();
      done(final_item());
      return;
    }
    pending_ = std::move(done);
    const bool readable = !hold_released_;  // else the stream ended: OnDone completes `done`
    lock.unlock();
    if (readable) this->StartRead(&response_);
  }

  void abandon() {
    context.TryCancel();
    release_hold();
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      std::unique_lock lock(mutex_);
      auto done = std::move(pending_);
      pending_ = nullptr;
      lock.unlock();
      done(Item(std::optional<Response>(std::move(response_))));
      return;
    }
    release_hold();  // the stream has ended; OnDone brings the status
  }

  void OnDone(const grpc::Status& status) override {
    std::unique_lock lock(mutex_);
    finished_ = true;
    status_ = status;
    auto done = std::move(pending_);
    pending_ = nullptr;
    lock.unlock();
    if (done) done(final_item());
    self_.reset();  // may delete this: nothing after
  }

 private:
  Item final_item() const {
    if (status_.ok()) return Item(std::optional<Response>());
    return Item(to_error(status_));
  }

  void release_hold() {
    release_hold_once(mutex_, hold_released_, [this] { this->RemoveHold(); });
  }

  std::mutex mutex_;
  Response response_;
  Completion<Item> pending_;
  bool finished_ = false;
  bool hold_released_ = false;
  grpc::Status status_;
  std::shared_ptr<ReadReactor> self_;
};

}  // namespace detail

template <typename Response>
class StreamReader {
 public:
  using Reactor = detail::ReadReactor<Response>;
  explicit StreamReader(std::shared_ptr<Reactor> reactor) : reactor_(std::move(reactor)) {}
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;
  ~StreamReader() {
    if (reactor_ && !ended_) reactor_->abandon();
  }

  // The next response; nullopt at the clean end of the stream; an Error if the call failed.
  awaitable<Result<std::optional<Response>>> next() {
    using Item = typename Reactor::Item;
    auto reactor = reactor_;
    auto initiation = [reactor](auto handler) {
      detail::on_cancellation(handler, [reactor] { reactor->context.TryCancel(); });
      reactor->next(detail::make_completion<Item>(std::move(handler)));
    };
    Item item = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Item)>(
        std::move(initiation), asio::use_awaitable);
    if (!item || !item->has_value()) ended_ = true;
    co_return item;
  }

 private:
  std::shared_ptr<Reactor> reactor_;
  bool ended_ = false;
};

template <typename AsyncStub, typename Request, typename Response>
using ServerStreamMethod = void (AsyncStub::*)(grpc::ClientContext*, const Request*,
                                               grpc::ClientReadReactor<Response>*);

// Starts a server-streaming call; read it with next().
template <typename AsyncStub, typename Request, typename Response>
std::unique_ptr<StreamReader<Response>> server_stream(
    AsyncStub* stub, ServerStreamMethod<AsyncStub, Request, Response> method,
    const Request& request, const CallOptions& options = {}) {
  auto reactor = std::make_shared<detail::ReadReactor<Response>>();
  options.apply(reactor->context);
  // gRPC copies the request when the call starts (StartCall), so it must live until then.
  reactor->start(reactor, [&](detail::ReadReactor<Response>* r) {
    (stub->*method)(&r->context, &request, r);
  });
  return std::make_unique<StreamReader<Response>>(std::move(reactor));
}

}  // namespace tessera::rpc
