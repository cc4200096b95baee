#include "dns/dnsmasq.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tessera::dns::testing {
namespace {

using namespace std::chrono_literals;

// A socket of `type` bound to 127.0.0.1:`port` (0: the kernel picks), or -1.
int bind_loopback(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// A port free for both UDP and TCP on 127.0.0.1 (dnsmasq serves both) a moment ago.
std::uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int udp = bind_loopback(SOCK_DGRAM, 0);
    if (udp < 0) continue;
    const std::uint16_t port = bound_port(udp);
    const int tcp = bind_loopback(SOCK_STREAM, port);
    ::close(udp);
    if (tcp >= 0) {
      ::close(tcp);
      return port;
    }
  }
  throw std::runtime_error("no free port on 127.0.0.1");
}

std::string loopback(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

void skip_without_dnsmasq() {
  if (::access(dnsmasq_path, X_OK) == 0) return;
  std::printf("SKIPPED: %s is not installed (Debian package dnsmasq-base)\n", dnsmasq_path);
  std::fflush(stdout);
  std::_Exit(skip_exit_code);
}

Dnsmasq::Dnsmasq(const std::vector<std::string>& zone) {
  char pattern[] = "/tmp/tessera-dnsmasq-XXXXXX";
  const int log = ::mkstemp(pattern);
  if (log < 0) throw std::runtime_error("mkstemp failed");
  ::close(log);
  log_ = pattern;
  // Another test may take the port between free_port() and dnsmasq's bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (try_start(zone, free_port())) return;
  }
  const std::string output = read_all(log_);
  ::unlink(log_.c_str());
  throw std::runtime_error("dnsmasq did not start: " + output);
}

bool Dnsmasq::try_start(const std::vector<std::string>& zone, std::uint16_t port) {
  std::vector<std::string> args = {dnsmasq_path,
                                   "--no-daemon",
                                   "--conf-file=/dev/null",
                                   "--no-resolv",
                                   "--no-hosts",
                                   "--no-poll",
                                   "--log-facility=-",
                                   "--listen-address=127.0.0.1",
                                   "--bind-interfaces",
                                   "--port=" + std::to_string(port)};
  args.insert(args.end(), zone.begin(), zone.end());
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int rc = ::posix_spawn(&pid_, dnsmasq_path, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run dnsmasq: " + std::string(std::strerror(rc)));

  // Up once it holds the port (our own bind fails); gone if it exited (the port was taken).
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    const int probe = bind_loopback(SOCK_DGRAM, port);
    if (probe < 0) {
      port_ = port;
      return true;
    }
    ::close(probe);
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return false;
}

Dnsmasq::~Dnsmasq() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(log_.c_str());
}

std::string Dnsmasq::server() const {
  return loopback(port_);
}

BlackHole::BlackHole() : fd_(bind_loopback(SOCK_DGRAM, 0)) {
  if (fd_ < 0) throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
  port_ = bound_port(fd_);
}

BlackHole::~BlackHole() {
  ::close(fd_);
}

std::string BlackHole::server() const {
  return loopback(port_);
}

std::string unused_server() {
  const int fd = bind_loopback(SOCK_DGRAM, 0);
  if (fd < 0) throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
  const std::uint16_t port = bound_port(fd);
  ::close(fd);
  return loopback(port);
}

}  // namespace tessera::dns::testing
