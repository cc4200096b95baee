// Test-only DNS servers on 127.0.0.1 for the resolver tests: a real one (dnsmasq serving a test
// zone from its command line), one that never answers, and a port where nothing listens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tessera::dns::testing {

inline constexpr const char* dnsmasq_path = "/usr/sbin/dnsmasq";

// The exit status ctest reports as "skipped" for dns_resolver_test (SKIP_RETURN_CODE).
inline constexpr int skip_exit_code = 77;

// Exits with skip_exit_code, saying why, when dnsmasq is not installed (Debian's dnsmasq-base).
void skip_without_dnsmasq();

// dnsmasq in the foreground (--no-daemon: no fork, no pid file, no change of user) on a free
// port of 127.0.0.1, answering only from `zone` (its options: --mx-host=..., --host-record=...;
// no upstream, no /etc/hosts, no config file). Stopped with SIGTERM at destruction.
class Dnsmasq {
 public:
  explicit Dnsmasq(const std::vector<std::string>& zone);  // throws if it does not come up
  ~Dnsmasq();
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  std::string server() const;  // "127.0.0.1:port" for ResolverSettings::servers

 private:
  bool try_start(const std::vector<std::string>& zone, std::uint16_t port);

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_;  // dnsmasq's stderr, for the message when it fails
};

// A UDP socket on 127.0.0.1 that never reads: queries sent to it time out.
class BlackHole {
 public:
  BlackHole();
  ~BlackHole();
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;
  std::string server() const;

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// "127.0.0.1:port" of a UDP port that was free a moment ago: queries get ICMP port unreachable.
std::string unused_server();

}  // namespace tessera::dns::testing
