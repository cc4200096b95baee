#include "rpc/listen_probe.hpp"

#include <cerrno>
#include <cstring>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tessera::rpc::detail {
namespace {

constexpr const char* kUnknown = "address in use or not available";

std::string describe(int error) {
  switch (error) {
    case EADDRINUSE:
      return "address in use";
    case EADDRNOTAVAIL:
      return "address not available on this host";
    case EACCES:
      return "permission denied";
    default:
      return std::strerror(error);
  }
}

// The errno of binding `ai` as gRPC would (SO_REUSEADDR), or 0 when the bind works.
int try_bind(const addrinfo& ai) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return 0;  // cannot probe this family; not the reason we look for
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int error = ::bind(fd, ai.ai_addr, ai.ai_addrlen) == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

}  // namespace

std::string why_not_bindable(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || address.starts_with("unix:")) return kUnknown;
  std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found) != 0)
    return "cannot resolve the address";
  std::string reason = kUnknown;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (const int error = try_bind(*ai); error != 0) {
      reason = describe(error);
      break;
    }
  }
  ::freeaddrinfo(found);
  return reason;
}

}  // namespace tessera::rpc::detail
