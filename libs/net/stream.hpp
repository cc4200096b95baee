// Stream: one TCP connection, accepted or connected, plain or TLS, upgradable once from plain
// to TLS (STARTTLS: RFC 3207, RFC 9051 §6.2.1, RFC 2595). Protocol code reads and writes through
// it without caring which; LineReader adds buffering, limits and deadlines on top. Servers get
// theirs from the Listener and call handshake(); clients (the relay's SMTP client, test tools)
// call connect() and client_handshake().
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
#include "net/compression.hpp"
#include "net/deadline.hpp"

namespace tessera::net {

namespace detail {
struct StreamCore {
  explicit StreamCore(tcp::socket s);
  void close();

  tcp::socket socket;
  std::shared_ptr<asio::ssl::context> tls_context;  // outlives `tls`; survives a reload
  std::optional<asio::ssl::stream<tcp::socket&>> tls;
  std::unique_ptr<Deflate> deflate;  // COMPRESS=DEFLATE once started, above TLS
  std::string deflated;              // the compressed bytes of the write in progress
  tcp::endpoint remote;
  tcp::endpoint local;

  template <typename Handler>
  void raw_read_some(asio::mutable_buffer b, Handler&& handler) {
    if (tls)
      tls->async_read_some(b, std::forward<Handler>(handler));
    else
      socket.async_read_some(b, std::forward<Handler>(handler));
  }
  template <typename Handler>
  void raw_write(asio::const_buffer b, Handler&& handler) {
    if (tls)
      asio::async_write(*tls, b, std::forward<Handler>(handler));
    else
      asio::async_write(socket, b, std::forward<Handler>(handler));
  }
};

// Reads through the inflater: inflates what is buffered, reading more compressed bytes while
// none come out (a sync-flush marker alone yields nothing).
struct InflatingRead {
  StreamCore* core;
  asio::mutable_buffer out;
  bool reading = false;

  template <typename Self>
  void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
    if (reading) {
      if (ec) return self.complete(ec, 0);
      core->deflate->input_added(n);
    }
    auto produced = core->deflate->decompress(static_cast<char*>(out.data()), out.size());
    if (!produced) return self.complete(make_error_code(boost::system::errc::bad_message), 0);
    if (*produced > 0) return self.complete({}, *produced);
    reading = true;
    auto* space = core->deflate->input_space();
    core->raw_read_some(asio::buffer(space, core->deflate->input_capacity()), std::move(self));
  }
};

// Compresses and sync-flushes the whole buffer, sends it, and reports the plain size.
struct DeflatingWrite {
  StreamCore* core;
  asio::const_buffer in;
  bool writing = false;

  template <typename Self>
  void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
    if (writing) return self.complete(ec, ec ? 0 : in.size());
    auto packed =
        core->deflate->compress(std::string_view(static_cast<const char*>(in.data()), in.size()));
    if (!packed) return self.complete(make_error_code(boost::system::errc::bad_message), 0);
    core->deflated = std::move(*packed);
    writing = true;
    core->raw_write(asio::buffer(core->deflated), std::move(self));
  }
};
}  // namespace detail

class Stream {
 public:
  using executor_type = tcp::socket::executor_type;

  explicit Stream(tcp::socket socket);
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;

  // Connects to `endpoint` on the calling coroutine's executor, within `timeout`, with
  // TCP_NODELAY (pipelined commands go out at once). Errors: net.timeout, net.io (refused,
  // unreachable), both naming the endpoint.
  static awaitable<Result<Stream>> connect(tcp::endpoint endpoint, Clock::duration timeout);

  executor_type get_executor() const { return core_->socket.get_executor(); }

  // Reads at least one byte into `buffer`: completes with (error_code, bytes).
  template <typename Token>
  auto async_read_some(asio::mutable_buffer buffer, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [core = core_.get()](auto handler, asio::mutable_buffer b) {
          if (core->deflate) {
            asio::async_compose<decltype(handler), void(error_code, std::size_t)>(
                detail::InflatingRead{core, b}, handler, core->socket);
          } else {
            core->raw_read_some(b, std::move(handler));
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
          if (core->deflate) {
            asio::async_compose<decltype(handler), void(error_code, std::size_t)>(
                detail::DeflatingWrite{core, b}, handler, core->socket);
          } else {
            core->raw_write(b, std::move(handler));
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

  // Client-side TLS handshake (once, like handshake()), TLS 1.2 minimum. `server_name` goes out
  // as SNI (RFC 6066 §3; not for an IP literal, which SNI does not carry). With `verify`, the
  // server's chain must verify against the context's trust store and its certificate must
  // match `server_name` (RFC 6125 host name check, no partial wildcards); without it any
  // certificate is taken (opportunistic STARTTLS, RFC 7435: encryption without authentication
  // beats plaintext, and most MX certificates would not verify). Errors: net.timeout, net.tls
  // (with the verification failure in the message); the stream is closed then.
  awaitable<Status> client_handshake(std::shared_ptr<asio::ssl::context> context,
                                     std::string server_name, bool verify, Clock::duration timeout);

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

  // COMPRESS=DEFLATE (RFC 4978): from now on both directions are raw DEFLATE streams. Once
  // only. Throw away anything the reader buffered beforehand first, as for STARTTLS.
  Status start_compression();
  bool is_compressed() const { return core_->deflate != nullptr; }
  // The negotiated protocol ("TLSv1.3") and cipher ("TLS_AES_256_GCM_SHA384") for logs; empty
  // for a plain stream.
  std::string tls_protocol() const;
  std::string tls_cipher() const;
  // The SNI host name: the one the client asked for (server side) or sent (client side).
  std::string tls_server_name() const;

  // The endpoints of the TCP connection, as seen when the Stream was made (they stay
  // available for logging after the peer has gone). Behind a proxy, remote is the proxy.
  const tcp::endpoint& remote_endpoint() const { return core_->remote; }
  const tcp::endpoint& local_endpoint() const { return core_->local; }

  // The TCP socket under TLS, for socket options.
  tcp::socket& socket() { return core_->socket; }

 private:
  // The handshake both sides share, with its deadline; closes the stream on failure.
  static awaitable<Status> run_handshake(std::shared_ptr<detail::StreamCore> core,
                                         asio::ssl::stream_base::handshake_type type,
                                         Clock::duration timeout);

  std::shared_ptr<detail::StreamCore> core_;
};

// A context for client_handshake(): TLS 1.2 minimum, no compression or renegotiation, and the
// system's default trust store (used only by handshakes that verify). Error: net.tls_config.
Result<std::shared_ptr<asio::ssl::context>> make_client_context();

}  // namespace tessera::net
