// Helpers for the net tests: run a coroutine on an io_context with a time bound, loopback
// sockets, and a self-signed certificate written with OpenSSL into a temporary directory.
// Test-only: compiled into net_test, not into tessera::net.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "base/asio.hpp"

namespace tessera::net::testing {

using namespace std::chrono_literals;

// Runs `body` on a fresh io_context until it finishes (at most `limit`, else the test fails),
// lets leftover work (sessions whose sockets were closed) run out, rethrows what body threw.
void run_coro(std::function<awaitable<void>()> body, std::chrono::seconds limit = 30s);

// Polls `done` every few milliseconds; false if it is still not true after `limit`.
awaitable<bool> wait_until(std::function<bool()> done, std::chrono::milliseconds limit);

// A directory under $TMPDIR removed with its contents at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes a fresh self-signed certificate for CN=`common_name` and its P-256 key as PEM.
// With a passphrase, the key is written encrypted.
void write_self_signed(const std::string& cert_file, const std::string& key_file,
                       const std::string& common_name = "localhost",
                       const std::string& passphrase = "");

// Writes `bytes` to `path`, replacing it.
void write_file(const std::string& path, const std::string& bytes);

// A connected TCP pair over 127.0.0.1: {server side, client side}.
awaitable<std::pair<tcp::socket, tcp::socket>> socket_pair();

// Connects to `to` from `from` (an address of 127.0.0.0/8 or ::1; port chosen by the kernel).
awaitable<tcp::socket> connect_from(const tcp::endpoint& to, const asio::ip::address& from);

// Reads until EOF, error or `limit`; whatever arrived.
awaitable<std::string> read_until_closed(tcp::socket& socket, std::chrono::milliseconds limit);

// Waits for `delay`.
awaitable<void> sleep_for(std::chrono::milliseconds delay);

// The bytes of a PROXY v2 header, command PROXY, TCP over IPv4, no TLVs.
std::string proxy_v2_tcp4(const std::string& source, std::uint16_t source_port,
                          const std::string& destination, std::uint16_t destination_port);

}  // namespace tessera::net::testing
