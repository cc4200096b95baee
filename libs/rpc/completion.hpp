// Bridges gRPC's callback threads to Asio coroutines: a Completion<T> is a copyable callable
// that gRPC may invoke on any of its threads; it posts the result to the awaiting coroutine's
// executor and keeps that executor's io_context from running out of work meanwhile.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>

#include "base/asio.hpp"

namespace tessera::rpc::detail {

template <typename T>
using Completion = std::function<void(T)>;

// Wraps an Asio completion handler (move-only) into a Completion<T>. Call it exactly once.
template <typename T, typename Handler>
Completion<T> make_completion(Handler handler) {
  auto executor = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
  auto shared = std::make_shared<Handler>(std::move(handler));
  return [shared, executor](T value) {
    asio::post(executor, [shared, value = std::move(value)]() mutable {
      // The slot was given a cancellation handler when the operation started; the operation is
      // over, so it must not be called any more (Asio's per-operation cancellation contract).
      asio::get_associated_cancellation_slot(*shared).clear();
      (*shared)(std::move(value));
    });
  };
}

// Runs `on_cancel` if the awaiting coroutine is cancelled (e.g. lost a race with a timer).
template <typename Handler, typename OnCancel>
void on_cancellation(Handler& handler, OnCancel on_cancel) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) {
    slot.assign([on_cancel = std::move(on_cancel)](asio::cancellation_type) { on_cancel(); });
  }
}

// Stream reactors hold their stream open (gRPC AddHold) until reading or writing is over; this
// removes the hold exactly once. `remove_hold` runs outside the lock: it may run OnDone, which
// takes the same mutex.
template <typename RemoveHold>
void release_hold_once(std::mutex& mutex, bool& released, RemoveHold remove_hold) {
  std::unique_lock lock(mutex);
  if (released) return;
  released = true;
  lock.unlock();
  remove_hold();
}

}  // namespace tessera::rpc::detail
