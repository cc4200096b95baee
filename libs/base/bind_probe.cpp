#include "base/bind_probe.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tessera {
namespace {

Error bind_error(std::string reason) {
  return make_error("bind.failed", std::move(reason));
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

}  // namespace

Result<int> probe_bind(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return bind_error("expected host:port or [v6]:port");
  std::string host(address.substr(0, colon));
  const std::string port(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found)) {
    return bind_error("cannot resolve \"" + host + "\": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return bind_error(errno_reason(errno));
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const int error = ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 ? 0 : errno;
  ::close(fd);
  if (error != 0) return bind_error(errno_reason(error));
  return found->ai_family;
}

}  // namespace tessera
