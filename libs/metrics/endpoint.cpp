// The /metrics HTTP endpoint: prometheus::Exposer (civetweb) behind a Result. The exposer
// throws on any bind failure with a message that names neither the address nor the cause, so
// on failure we bind the address ourselves to find out why, and say it in one line.
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <utility>

#include <netdb.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics/metrics.hpp"

namespace tessera::metrics {
namespace {

struct HostPort {
  std::string host;  // without brackets
  std::string port;
};

// "host:port" or "[v6]:port", port 0..65535.
std::optional<HostPort> split_listen(std::string_view listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = listen.substr(0, colon);
  const std::string_view port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;
  }
  const bool digits = !port.empty() && port.size() <= 5 &&
                      port.find_first_not_of("0123456789") == std::string_view::npos;
  if (host.empty() || !digits || std::stoul(std::string(port)) > 65535) return std::nullopt;
  return HostPort{std::string(host), std::string(port)};
}

std::string errno_reason(int error) {
  switch (error) {
    case EADDRINUSE:
      return "address in use";
    case EADDRNOTAVAIL:
      return "address not available on this host";
    case EACCES:
      return "permission denied (ports below 1024 need privileges)";
    default:
      return std::strerror(error);
  }
}

// Why civetweb could not listen on `address`, found by trying the same bind.
std::string bind_failure_reason(const HostPort& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(address.host.c_str(), address.port.c_str(), &hints, &found)) {
    return "cannot resolve \"" + address.host + "\": " + gai_strerror(rc);
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, freeaddrinfo);
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_reason(errno);
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as civetweb does
  const int error = bind(fd, found->ai_addr, found->ai_addrlen) == 0 ? 0 : errno;
  close(fd);
  if (error != 0) return errno_reason(error);
  if (found->ai_family == AF_INET6) {
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
  const auto address = split_listen(listen);
  if (!address) return listen_error(listen, "expected host:port or [v6]:port");
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(std::string(listen), 2);
    exposer->RegisterCollectable(source, "/metrics");
  } catch (const std::exception&) {
    return listen_error(listen, bind_failure_reason(*address));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  const auto port = static_cast<std::uint16_t>(ports.empty() ? 0 : ports.front());
  return std::unique_ptr<Endpoint>(new Endpoint(std::move(exposer), std::move(source), port));
}

}  // namespace tessera::metrics
