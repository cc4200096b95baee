#include "base/bind_probe.hpp"

#include <string>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

TEST_CASE("probe_bind names why an address cannot be bound") {
  // Hold a loopback port; binding it again must fail with "address in use".
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t length = sizeof any;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&any), &length) == 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(any.sin_port));

  auto busy = tessera::probe_bind(taken);
  REQUIRE_FALSE(busy);
  CHECK(busy.error().message == "address in use");
  ::close(fd);

  auto free_v4 = tessera::probe_bind("127.0.0.1:0");
  REQUIRE(free_v4);
  CHECK(*free_v4 == AF_INET);
  CHECK(tessera::probe_bind("192.0.2.1:0").error().message ==
        "address not available on this host");  // TEST-NET-1, never local
  CHECK_FALSE(tessera::probe_bind("no-port"));
}
