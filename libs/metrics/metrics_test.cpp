#include "metrics/metrics.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace tessera::metrics {
namespace {

// GET `path` from 127.0.0.1:port over a plain socket; the whole HTTP response, "" on failure.
std::string http_get(std::uint16_t port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;)
        response.append(buffer, n);
    }
  }
  close(fd);
  return response;
}

// A socket holding 127.0.0.1:<some port> so that binding it again fails.
struct HeldPort {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::uint16_t port = 0;
  HeldPort() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(listen(fd, 1) == 0);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
  }
  ~HeldPort() { close(fd); }
};

TEST_CASE("the endpoint serves /metrics with build info") {
  set_build_info("metrics_test");
  auto endpoint = Endpoint::start("127.0.0.1:0");
  REQUIRE(endpoint.has_value());
  REQUIRE((*endpoint)->port() != 0);
  const std::string response = http_get((*endpoint)->port(), "/metrics");
  INFO(response);
  CHECK(response.starts_with("HTTP/1.1 200"));
  CHECK(response.find("\ntessera_build_info{service=\"metrics_test\",version=\"" +
                      std::string(version()) + "\"} 1\n") != std::string::npos);
}

TEST_CASE("a port in use gives one line naming the address and the key") {
  HeldPort held;
  const std::string listen = "127.0.0.1:" + std::to_string(held.port);
  auto endpoint = Endpoint::start(listen);
  REQUIRE_FALSE(endpoint.has_value());
  CHECK(endpoint.error().code == "metrics.listen");
  CHECK(endpoint.error().message ==
        "cannot serve metrics on " + listen + ": address in use (change metrics.listen)");
}

TEST_CASE("a second endpoint on a served port fails the same way") {
  auto first = Endpoint::start("127.0.0.1:0");
  REQUIRE(first.has_value());
  const std::string listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = Endpoint::start(listen);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().message ==
        "cannot serve metrics on " + listen + ": address in use (change metrics.listen)");
}

TEST_CASE("bad listen addresses are refused with the reason") {
  struct Case {
    std::string listen;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"9100", "expected host:port or [v6]:port"},
      {"127.0.0.1:", "expected host:port or [v6]:port"},
      {"127.0.0.1:65536", "expected host:port or [v6]:port"},
      {"::1:9100", "expected host:port or [v6]:port"},
      {"127.0.0.1:9100s", "expected host:port or [v6]:port"},   // civetweb's "TLS" suffix
      {"203.0.113.1:0", "address not available on this host"},  // TEST-NET-3, never local
  };
  for (const Case& c : cases) {
    auto endpoint = Endpoint::start(c.listen);
    INFO("listen=" << c.listen);
    REQUIRE_FALSE(endpoint.has_value());
    CHECK(endpoint.error().message ==
          "cannot serve metrics on " + c.listen + ": " + c.reason + " (change metrics.listen)");
  }
}

TEST_CASE("Connections counts sessions per listener and result") {
  prometheus::Registry local;
  Connections imaps("imaps", local);
  Connections imap("imap", local);
  imaps.opened();
  imaps.opened();
  imaps.closed(ConnectionResult::completed);
  imaps.refused(ConnectionResult::limited);
  {
    auto session = imap.track();
    CHECK(imap.active() == 1);
    session.set_result(ConnectionResult::timeout);
  }
  { auto session = imap.track(); }  // no result set: counted as an error
  CHECK(imaps.active() == 1);
  CHECK(imaps.total(ConnectionResult::completed) == 1);
  CHECK(imaps.total(ConnectionResult::limited) == 1);
  CHECK(imap.active() == 0);
  CHECK(imap.total(ConnectionResult::timeout) == 1);
  CHECK(imap.total(ConnectionResult::error) == 1);
  CHECK(Connections("imaps", local).active() == 1);  // same listener, same series

  const std::string text = prometheus::TextSerializer().Serialize(local.Collect());
  INFO(text);
  CHECK(text.find("tessera_connections_active{listener=\"imaps\"} 1\n") != std::string::npos);
  CHECK(text.find("tessera_connections_total{listener=\"imaps\",result=\"drained\"} 0\n") !=
        std::string::npos);
}

TEST_CASE("result labels are stable words") {
  CHECK(result_label(ConnectionResult::completed) == "completed");
  CHECK(result_label(ConnectionResult::peer_closed) == "peer_closed");
  CHECK(result_label(ConnectionResult::proxy_failed) == "proxy_failed");
  CHECK(result_label(ConnectionResult::drained) == "drained");
}

}  // namespace
}  // namespace tessera::metrics
