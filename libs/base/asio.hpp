// One spelling of Boost.Asio for the whole tree: `tessera::asio`, C++20 coroutines, and
// `as_tuple` so that EOF, timeouts and cancellation come back as values (style.md §6).
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace tessera {
namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

// `co_await op(..., use_nothrow)` yields std::tuple<error_code, ...> instead of throwing.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
}  // namespace tessera
