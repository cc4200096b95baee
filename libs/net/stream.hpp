// Stream: one accepted TCP connection, plain or TLS, upgradable once from plain to TLS
// (STARTTLS: RFC 3207, RFC 9051 §6.2.1, RFC 2595). Protocol code reads and writes through it
// without caring which; LineReader adds buffering, limits and deadlines on top.
//
// A Stream is a move-only handle: its socket lives on the heap so that the Listener can close a
// lingering session during drain (close_handle()) wherever the Stream has been moved to.
// Not thread-safe: use it from its executor (the Listener gives every connection its own strand).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include <boost/asio/ssl.hpp>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "net/deadline.hpp"

namespace tessera::net {

namespace detail {
struct StreamCore {
  explicit StreamCore(tcp::socket s);
  void close();

  tcp::socket socket;
  std::shared_ptr<asio::ssl::context> tls_context;  // outlives `tls`; survives a reload
  std::optional<asio::ssl::stream<tcp::socket&>> tls;
  tcp::endpoint remote;
  tcp::endpoint local;
};
}  // namespace detail

class Stream {
 public:
  using executor_type = tcp::socket::executor_type;

  explicit Stream(tcp::socket socket);
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;

  executor_type get_executor() const { return core_->socket.get_executor(); }

  // Reads at least one byte into `buffer`: completes with (error_code, bytes).
  template <typename Token>
  auto async_read_some(asio::mutable_buffer buffer, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [core = core_.get()](auto handler, asio::mutable_buffer b) {
          if (core->tls) {
            core->tls->async_read_some(b, std::move(handler));
          } else {
            core->socket.async_read_some(b, std::move(handler));
          }
        },
        token, buffer);
  }
  awaitable<std::tuple<error_code, std::size_t>> async_read_some(asio::mutable_buffer buffer) {
    return async_read_some(buffer, use_nothrow);
  }

  // Writes all of `buffer` (or fails): completes with (error_code, bytes written).
  template <typename Token>
  auto async_write(asio::const_buffer buffer, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [core = core_.get()](auto handler, asio::const_buffer b) {
          if (core->tls) {
            asio::async_write(*core->tls, b, std::move(handler));
          } else {
            asio::async_write(core->socket, b, std::move(handler));
          }
        },
        token, buffer);
  }
  awaitable<std::tuple<error_code, std::size_t>> async_write(asio::const_buffer buffer) {
    return async_write(buffer, use_nothrow);
  }

  // Server-side TLS handshake with a deadline; the Stream is TLS from then on. Once only: a
  // second call fails (the protocol should have refused a second STARTTLS already). Before
  // calling it after STARTTLS, throw away what the client pipelined (LineReader::discard_buffer,
  // RFC 3207 §4.2). Errors: net.timeout, net.tls (the stream is closed then).
  awaitable<Status> handshake(std::shared_ptr<asio::ssl::context> context, Clock::duration timeout);

  // Ends the connection politely: TLS close_notify (waiting at most `timeout` for the peer's),
  // then close(). Plain streams just close.
  awaitable<void> shutdown(Clock::duration timeout);

  // Closes the socket at once; outstanding operations complete with an error.
  void close();
  bool is_open() const { return core_ && core_->socket.is_open(); }

  // A callable that closes this connection from any thread, later, if it is still alive (it
  // posts to the Stream's executor). The Listener uses it to end sessions left after a drain.
  std::function<void()> close_handle() const;

  bool is_tls() const { return core_->tls.has_value(); }
  // The negotiated protocol ("TLSv1.3") and cipher ("TLS_AES_256_GCM_SHA384") for logs; empty
  // for a plain stream.
  std::string tls_protocol() const;
  std::string tls_cipher() const;

  // The endpoints of the TCP connection, as seen when the Stream was made (they stay
  // available for logging after the peer has gone). Behind a proxy, remote is the proxy.
  const tcp::endpoint& remote_endpoint() const { return core_->remote; }
  const tcp::endpoint& local_endpoint() const { return core_->local; }

  // The TCP socket under TLS, for socket options.
  tcp::socket& socket() { return core_->socket; }

 private:
  std::shared_ptr<detail::StreamCore> core_;
};

}  // namespace tessera::net
