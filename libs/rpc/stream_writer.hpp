// Client-streaming calls (e.g. store.Append of a message in chunks): write requests one at a
// time from a coroutine, then finish() for the single response. One write is outstanding at a
// time (flow control). Dropping the writer before finish() cancels the call.
#pragma once

#include <memory>
#include <mutex>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "rpc/call_options.hpp"
#include "rpc/completion.hpp"
#include "rpc/status.hpp"

namespace tessera::rpc {
namespace detail {

template <typename Request, typename Response>
class WriteReactor final : public grpc::ClientWriteReactor<Request> {
 public:
  grpc::ClientContext context;
  Response response;

  template <typename Start>
  void start(std::shared_ptr<WriteReactor> self, Start start_call) {
    self_ = std::move(self);
    start_call(this);
    // Held until finish() or abandon(): OnDone (after which the stream must not be touched)
    // cannot run while a write() may still call StartWrite.
    this->AddHold();
    this->StartCall();
  }

  void abandon() {
    context.TryCancel();
    release_hold();
  }

  // Completes with true when the request went out; false when the call has ended (the status
  // then comes from finish()).
  void write(Request request, Completion<bool> done) {
    std::unique_lock lock(mutex_);
    if (finished_ || hold_released_) {
      lock.unlock();
      done(false);
      return;
    }
    request_ = std::move(request);
    pending_write_ = std::move(done);
    lock.unlock();
    this->StartWrite(&request_);
  }

  void finish(Completion<grpc::Status> done) {
    std::unique_lock lock(mutex_);
    if (finished_) {
      lock.unlock();
      done(status_);
      return;
    }
    pending_finish_ = std::move(done);
    const bool writes_open = !hold_released_;
    lock.unlock();
    if (writes_open) this->StartWritesDone();
    release_hold();
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock lock(mutex_);
    auto done = std::move(pending_write_);
    pending_write_ = nullptr;
    lock.unlock();
    if (done) done(ok);
  }

  void OnDone(const grpc::Status& status) override {
    std::unique_lock lock(mutex_);
    finished_ = true;
    status_ = status;
    auto write_done = std::move(pending_write_);
    auto finish_done = std::move(pending_finish_);
    pending_write_ = nullptr;
    pending_finish_ = nullptr;
    lock.unlock();
    if (write_done) write_done(false);
    if (finish_done) finish_done(status);
    self_.reset();  // may delete this: nothing after
  }

 private:
  void release_hold() {
    release_hold_once(mutex_, hold_released_, [this] { this->RemoveHold(); });
  }

  std::mutex mutex_;
  bool hold_released_ = false;
  Request request_;
  Completion<bool> pending_write_;
  Completion<grpc::Status> pending_finish_;
  bool finished_ = false;
  grpc::Status status_;
  std::shared_ptr<WriteReactor> self_;
};

}  // namespace detail

template <typename Request, typename Response>
class StreamWriter {
 public:
  using Reactor = detail::WriteReactor<Request, Response>;
  explicit StreamWriter(std::shared_ptr<Reactor> reactor) : reactor_(std::move(reactor)) {}
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;
  ~StreamWriter() {
    if (!finished_) reactor_->abandon();
  }

  // Sends one request. An Error means the call has ended; finish() tells why.
  awaitable<Status> write(Request request) {
    auto reactor = reactor_;
    auto shared_request = std::make_shared<Request>(std::move(request));
    auto initiation = [reactor, shared_request](auto handler) {
      detail::on_cancellation(handler, [reactor] { reactor->context.TryCancel(); });
      reactor->write(std::move(*shared_request), detail::make_completion<bool>(std::move(handler)));
    };
    const bool ok = co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
        std::move(initiation), asio::use_awaitable);
    if (!ok) co_return make_error("rpc.stream_ended", "the call ended before this write");
    co_return Status{};
  }

  // Ends the requests and waits for the response (or the call's error).
  awaitable<Result<Response>> finish() {
    auto reactor = reactor_;
    auto initiation = [reactor](auto handler) {
      detail::on_cancellation(handler, [reactor] { reactor->context.TryCancel(); });
      reactor->finish(detail::make_completion<grpc::Status>(std::move(handler)));
    };
    grpc::Status status =
        co_await asio::async_initiate<decltype(asio::use_awaitable), void(grpc::Status)>(
            std::move(initiation), asio::use_awaitable);
    finished_ = true;
    if (!status.ok()) co_return to_error(status);
    co_return std::move(reactor_->response);
  }

 private:
  std::shared_ptr<Reactor> reactor_;
  bool finished_ = false;
};

template <typename AsyncStub, typename Request, typename Response>
using ClientStreamMethod = void (AsyncStub::*)(grpc::ClientContext*, Response*,
                                               grpc::ClientWriteReactor<Request>*);

// Starts a client-streaming call; write() the requests, then finish().
template <typename AsyncStub, typename Request, typename Response>
std::unique_ptr<StreamWriter<Request, Response>> client_stream(
    AsyncStub* stub, ClientStreamMethod<AsyncStub, Request, Response> method,
    const CallOptions& options = {}) {
  using Reactor = detail::WriteReactor<Request, Response>;
  auto reactor = std::make_shared<Reactor>();
  options.apply(reactor->context);
  reactor->start(reactor, [&](Reactor* r) { (stub->*method)(&r->context, &r->response, r); });
  return std::make_unique<StreamWriter<Request, Response>>(std::move(reactor));
}

}  // namespace tessera::rpc
