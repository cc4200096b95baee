// The /metrics HTTP endpoint: prometheus::Exposer (civetweb) behind a Result. The exposer
// throws on any bind failure with a message that names neither the address nor the cause, so
// on failure we bind the address ourselves to find out why, and say it in one line.
#include <exception>
#include <optional>
#include <utility>

#include <prometheus/exposer.h>
#include <sys/socket.h>

#include "base/bind_probe.hpp"
#include "metrics/metrics.hpp"

namespace tessera::metrics {
namespace {

// "host:port" or "[v6]:port", port 0..65535.
bool valid_listen(std::string_view listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = listen.substr(0, colon);
  const std::string_view port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return false;
  }
  const bool digits = !port.empty() && port.size() <= 5 &&
                      port.find_first_not_of("0123456789") == std::string_view::npos;
  return !host.empty() && digits && std::stoul(std::string(port)) <= 65535;
}

// Why civetweb could not listen on `listen`, found by trying the same bind.
std::string bind_failure_reason(std::string_view listen) {
  auto probe = probe_bind(listen);
  if (!probe) return probe.error().message;
  if (*probe == AF_INET6) {
    // Debian's civetweb is built without IPv6 support.
    return "the metrics HTTP server (civetweb) does not support IPv6 here; use an IPv4 address";
  }
  return "the metrics HTTP server could not start";
}

Error listen_error(std::string_view listen, const std::string& reason) {
  return make_error("metrics.listen", "cannot serve metrics on " + std::string(listen) + ": " +
                                          reason + " (change metrics.listen)");
}

}  // namespace

Endpoint::Endpoint(std::unique_ptr<prometheus::Exposer> exposer,
                   std::shared_ptr<prometheus::Registry> source, std::uint16_t port)
    : exposer_(std::move(exposer)), source_(std::move(source)), port_(port) {}

Endpoint::~Endpoint() = default;

Result<std::unique_ptr<Endpoint>> Endpoint::start(std::string_view listen,
                                                  std::shared_ptr<prometheus::Registry> source) {
  if (!valid_listen(listen)) return listen_error(listen, "expected host:port or [v6]:port");
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(std::string(listen), 2);
    exposer->RegisterCollectable(source, "/metrics");
  } catch (const std::exception&) {
    return listen_error(listen, bind_failure_reason(listen));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  const auto port = static_cast<std::uint16_t>(ports.empty() ? 0 : ports.front());
  return std::unique_ptr<Endpoint>(new Endpoint(std::move(exposer), std::move(source), port));
}

}  // namespace tessera::metrics
