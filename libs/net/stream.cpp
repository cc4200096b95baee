#include "net/stream.hpp"

#include "net/errors.hpp"

namespace tessera::net {

namespace detail {

StreamCore::StreamCore(tcp::socket s) : socket(std::move(s)) {
  error_code ec;
  remote = socket.remote_endpoint(ec);
  local = socket.local_endpoint(ec);
}

void StreamCore::close() {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace detail

Stream::Stream(tcp::socket socket)
    : core_(std::make_shared<detail::StreamCore>(std::move(socket))) {}

awaitable<Status> Stream::handshake(std::shared_ptr<asio::ssl::context> context,
                                    Clock::duration timeout) {
  const std::shared_ptr<detail::StreamCore> core = core_;  // `this` may not outlive a move
  if (core->tls) co_return make_error(std::string(errc::tls), "TLS is already active");
  core->tls_context = std::move(context);
  core->tls.emplace(core->socket, *core->tls_context);
  asio::steady_timer timer(core->socket.get_executor());
  auto [order, ec, timer_ec] = co_await detail::race_deadline(
      core->tls->async_handshake(asio::ssl::stream_base::server, asio::deferred), timer, timeout);
  if (order[0] == 1) {
    core->close();
    co_return timeout_error("TLS handshake");
  }
  if (ec) {
    core->close();
    co_return make_error(std::string(errc::tls), "TLS handshake failed: " + ec.message());
  }
  co_return Status{};
}

awaitable<void> Stream::shutdown(Clock::duration timeout) {
  const std::shared_ptr<detail::StreamCore> core = core_;
  if (core->tls && core->socket.is_open()) {
    asio::steady_timer timer(core->socket.get_executor());
    co_await detail::race_deadline(core->tls->async_shutdown(asio::deferred), timer, timeout);
  }
  core->close();
}

Status Stream::start_compression() {
  if (core_->deflate) return make_error(std::string(errc::compression), "already compressing");
  auto deflate = Deflate::make();
  if (!deflate) return deflate.error();
  core_->deflate = std::move(*deflate);
  return {};
}

void Stream::close() {
  if (core_) core_->close();
}

std::function<void()> Stream::close_handle() const {
  std::weak_ptr<detail::StreamCore> weak = core_;
  executor_type executor = get_executor();
  return [weak, executor] {
    asio::post(executor, [weak] {
      if (auto core = weak.lock()) core->close();
    });
  };
}

std::string Stream::tls_protocol() const {
  if (!core_->tls) return {};
  return SSL_get_version(core_->tls->native_handle());
}

std::string Stream::tls_cipher() const {
  if (!core_->tls) return {};
  const char* name = SSL_get_cipher_name(core_->tls->native_handle());
  return name != nullptr ? name : "";
}

Error io_error(const error_code& ec, std::string_view what) {
  const std::string where(what);
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return make_error(std::string(errc::eof), where + ": peer closed the connection");
  }
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    return make_error(std::string(errc::eof), where + ": " + ec.message());
  }
  return make_error(std::string(errc::io), where + ": " + ec.message());
}

Error timeout_error(std::string_view what) {
  return make_error(std::string(errc::timeout), std::string(what) + ": deadline passed");
}

std::string endpoint_string(const tcp::endpoint& endpoint) {
  const std::string port = std::to_string(endpoint.port());
  const asio::ip::address address = endpoint.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + port;
  return address.to_string() + ":" + port;
}

}  // namespace tessera::net
