#include "runtime.hpp"

#include <cstdio>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "log/log.hpp"
#include "net/cidr.hpp"
#include "net/errors.hpp"

namespace tessera::service {

void add_protocol_keys(config::Schema& schema) {
  schema.add_string("tls.cert", std::nullopt, "PEM certificate chain (leaf first); SIGHUP reloads")
      .add_string("tls.key", std::nullopt, "PEM private key of tls.cert (unencrypted)")
      .add_integer("limits.connections", 5000, 1, 1000000, "concurrent connections in total")
      .add_integer("limits.connections_per_ip", 50, 1, 1000000,
                   "concurrent connections from one client address (IPv6: per /64)")
      .add_bool("proxy.enabled", false,
                "expect a PROXY protocol v2 header on every connection (from proxy.trusted only)")
      .add_list("proxy.trusted", std::vector<std::string>{},
                "load balancers allowed to send PROXY headers (CIDRs)")
      .add_integer("threads", 2, 1, 256, "threads serving connections");
}

Runtime::Runtime(asio::io_context& io, config::Config config, std::string name)
    : io_(io),
      config_(std::move(config)),
      name_(std::move(name)),
      lifecycle_(io, config_.get_duration("drain.timeout")) {}

Status Runtime::prepare() {
  auto tls = net::TlsContext::load(config_.get_string("tls.cert"), config_.get_string("tls.key"));
  if (!tls) return tls.error();
  tls_ = std::make_shared<net::TlsContext>(std::move(*tls));
  lifecycle_.set_tls(tls_);
  limiter_ = std::make_shared<net::ConnectionLimiter>(net::ConnectionLimits{
      .max_total = static_cast<std::size_t>(config_.get_int("limits.connections")),
      .max_per_ip = static_cast<std::size_t>(config_.get_int("limits.connections_per_ip"))});
  return {};
}

Runtime::~Runtime() {
  for (auto hook = exit_hooks_.rbegin(); hook != exit_hooks_.rend(); ++hook)
    (*hook)();
}

Result<net::ListenerOptions> Runtime::options_for(const std::string& key, const ListenSpec& spec) {
  net::ListenerOptions options;
  options.config_key = key;
  if (spec.implicit_tls) options.implicit_tls = tls_;
  options.limiter = limiter_;
  options.busy_reply = spec.busy_reply;
  options.proxy_protocol = config_.get_bool("proxy.enabled");
  auto trusted = net::CidrSet::parse(config_.get_list("proxy.trusted"));
  if (!trusted) return make_error("config.bad_value", "proxy.trusted: " + trusted.error().message);
  options.proxy_trusted = std::move(*trusted);
  if (options.proxy_protocol && options.proxy_trusted.empty()) {
    return make_error("config.bad_value",
                      "proxy.enabled is true but proxy.trusted is empty (name the balancers)");
  }
  return options;
}

void Runtime::announce() const {
  for (const auto& line : listening_)
    spdlog::info("{}", line);
}

namespace {

Result<tcp::endpoint> resolve(const config::Endpoint& where, const std::string& key) {
  error_code ec;
  auto address = asio::ip::make_address(where.host, ec);
  if (ec) {
    return make_error("config.bad_value",
                      key + ": \"" + where.host + "\" is not an IP address (use e.g. 127.0.0.1)");
  }
  return tcp::endpoint(address, where.port);
}

// Counts each session of one listener in tessera_connections_* (libs/metrics).
net::ConnectionHandler counted(metrics::Connections& counter, SessionHandler handler) {
  return [&counter, handler = std::move(handler)](net::Connection connection) -> awaitable<void> {
    auto session = counter.track();  // closes as `error` if the handler throws
    session.set_result(co_await handler(std::move(connection)));
  };
}

}  // namespace

Status Runtime::listen(const std::string& key, const ListenSpec& spec, SessionHandler handler) {
  const auto& where = config_.get_endpoint(key);
  if (!where.is_set()) return {};
  auto endpoint = resolve(where, key);
  if (!endpoint) return endpoint.error();
  auto options = options_for(key, spec);
  if (!options) return options.error();
  auto listener = net::Listener::bind(lifecycle_.executor(), *endpoint, std::move(*options));
  if (!listener) return listener.error();
  const auto label = key.substr(key.rfind('.') + 1);
  auto& counter = *connection_metrics_.emplace_back(std::make_unique<metrics::Connections>(label));
  // Logged once every listener is bound, so a failed start prints only its error line.
  listening_.push_back(fmt::format("listening on {} ({}{})",
                                   net::endpoint_string(listener->local_endpoint()), key,
                                   spec.implicit_tls ? ", TLS" : ""));
  lifecycle_.serve(std::move(*listener), counted(counter, std::move(handler)));
  return {};
}

}  // namespace tessera::service
