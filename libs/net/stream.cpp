#include "net/stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

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

awaitable<Result<Stream>> Stream::connect(tcp::endpoint endpoint, Clock::duration timeout) {
  tcp::socket socket(co_await asio::this_coro::executor);
  asio::steady_timer timer(socket.get_executor());
  auto [order, ec, timer_ec] = co_await detail::race_deadline(
      socket.async_connect(endpoint, asio::deferred), timer, timeout);
  if (order[0] == 1) co_return timeout_error("connect to " + endpoint_string(endpoint));
  if (ec) {
    co_return make_error(std::string(errc::io),
                         "connect to " + endpoint_string(endpoint) + ": " + ec.message());
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  co_return Stream(std::move(socket));
}

awaitable<Status> Stream::run_handshake(std::shared_ptr<detail::StreamCore> core,
                                        asio::ssl::stream_base::handshake_type type,
                                        Clock::duration timeout) {
  asio::steady_timer timer(core->socket.get_executor());
  auto [order, ec, timer_ec] = co_await detail::race_deadline(
      core->tls->async_handshake(type, asio::deferred), timer, timeout);
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

awaitable<Status> Stream::handshake(std::shared_ptr<asio::ssl::context> context,
                                    Clock::duration timeout) {
  const std::shared_ptr<detail::StreamCore> core = core_;  // `this` may not outlive a move
  if (core->tls) co_return make_error(std::string(errc::tls), "TLS is already active");
  core->tls_context = std::move(context);
  core->tls.emplace(core->socket, *core->tls_context);
  co_return co_await run_handshake(core, asio::ssl::stream_base::server, timeout);
}

namespace {

// Sets SNI and, with `verify`, the peer checks on one client connection. False when OpenSSL
// refuses the name.
bool prepare_client(SSL* ssl, const std::string& server_name, bool verify) {
  // The context may be looser (a caller's own): this connection is TLS 1.2+ regardless.
  if (SSL_set_min_proto_version(ssl, TLS1_2_VERSION) != 1) return false;
  error_code not_ip;
  asio::ip::make_address(server_name, not_ip);
  const bool ip_literal = !not_ip;
  // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
  if (!ip_literal && !server_name.empty() &&
      SSL_set_tlsext_host_name(ssl, server_name.c_str()) != 1)
    return false;
  if (!verify) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  if (ip_literal)
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str()) == 1;
  // RFC 6125 §6.4.3: a wildcard only as the whole left-most label.
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, server_name.c_str()) == 1;
}

}  // namespace

awaitable<Status> Stream::client_handshake(std::shared_ptr<asio::ssl::context> context,
                                           std::string server_name, bool verify,
                                           Clock::duration timeout) {
  const std::shared_ptr<detail::StreamCore> core = core_;
  if (core->tls) co_return make_error(std::string(errc::tls), "TLS is already active");
  // A name from DNS ("mx.example.org.") is absolute; SNI and certificates carry it without the
  // dot (RFC 6066 §3).
  if (server_name.ends_with('.')) server_name.pop_back();
  if (verify && server_name.empty())
    co_return make_error(std::string(errc::tls), "cannot verify a TLS server without its name");
  core->tls_context = std::move(context);
  core->tls.emplace(core->socket, *core->tls_context);
  SSL* ssl = core->tls->native_handle();
  if (!prepare_client(ssl, server_name, verify)) {
    core->close();
    co_return make_error(std::string(errc::tls), "bad TLS server name \"" + server_name + "\"");
  }
  Status done = co_await run_handshake(core, asio::ssl::stream_base::client, timeout);
  if (done || !verify) co_return done;
  // Say why the certificate was refused ("self-signed certificate", "hostname mismatch").
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) co_return done;
  co_return make_error(std::string(errc::tls), "TLS handshake with " + server_name +
                                                   " failed: certificate not verified: " +
                                                   X509_verify_cert_error_string(result));
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

std::string Stream::tls_server_name() const {
  if (!core_->tls) return {};
  const char* name = SSL_get_servername(core_->tls->native_handle(), TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : "";
}

std::string Stream::tls_cipher() const {
  if (!core_->tls) return {};
  const char* name = SSL_get_cipher_name(core_->tls->native_handle());
  return name != nullptr ? name : "";
}

Result<std::shared_ptr<asio::ssl::context>> make_client_context() {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    ERR_clear_error();
    return make_error("net.tls_config", "cannot load the system's default TLS trust store");
  }
  return context;
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
