// Races one asynchronous operation against a timer: every read, write and handshake in this
// library has a deadline (style.md §6). Whichever finishes first cancels the other; a cancelled
// socket or TLS operation leaves the stream fit only for close() (Asio's "terminal"
// cancellation), so a timeout is the end of the connection.
#pragma once

#include <chrono>

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include "base/asio.hpp"

namespace tessera::net {

using Clock = std::chrono::steady_clock;

namespace detail {

// `op` is an operation started with asio::deferred. Yields
// std::tuple<std::array<std::size_t, 2> order, op's results..., error_code timer>;
// order[0] == 1 means the timer fired first.
template <typename DeferredOp>
auto race_deadline(DeferredOp op, asio::steady_timer& timer, Clock::duration timeout) {
  timer.expires_after(timeout);
  return asio::experimental::make_parallel_group(std::move(op), timer.async_wait(asio::deferred))
      .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
}

}  // namespace detail
}  // namespace tessera::net
