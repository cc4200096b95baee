// ConnectionLimiter: caps concurrent connections in total and per client address, so one
// client (or a flood) cannot take every slot of a service (design.md §6 "Limits everywhere").
// A Permit is the slot: it is released when the Permit is destroyed, whatever ends the session.
//
// Thread safety: every member may be called from any thread (one mutex guards the counts), so
// a limiter can be shared by the listeners of a service even when its io_context runs on
// several threads. A Permit may outlive its ConnectionLimiter.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "base/asio.hpp"

namespace tessera::net {

struct ConnectionLimits {
  std::size_t max_total = 0;   // connections at once; 0 = no limit
  std::size_t max_per_ip = 0;  // connections at once from one client address; 0 = no limit
  // IPv6 clients get a whole /64 (RFC 6177 §2 recommends /48 to /64 per site) and can pick
  // a new address from it for every connection; counting per /64 makes them one client.
  unsigned ipv6_prefix_bits = 64;
};

namespace detail {
struct LimiterState {
  std::mutex mutex;
  ConnectionLimits limits;
  std::size_t total = 0;
  std::map<asio::ip::address, std::size_t> per_ip;
};
}  // namespace detail

// One held connection slot. Move-only; an empty (default or moved-from) Permit holds nothing.
class Permit {
 public:
  Permit() = default;
  Permit(Permit&& other) noexcept;
  Permit& operator=(Permit&& other) noexcept;
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit() { release(); }

  bool held() const { return state_ != nullptr; }
  void release();

 private:
  friend class ConnectionLimiter;
  Permit(std::shared_ptr<detail::LimiterState> state, asio::ip::address key)
      : state_(std::move(state)), key_(key) {}

  std::shared_ptr<detail::LimiterState> state_;
  asio::ip::address key_;
};

class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(ConnectionLimits limits);

  // A Permit when both limits leave room for one more connection from `client`, else nothing.
  std::optional<Permit> try_acquire(const asio::ip::address& client);

  std::size_t total() const;
  std::size_t count(const asio::ip::address& client) const;
  const ConnectionLimits& limits() const { return state_->limits; }

 private:
  asio::ip::address key_for(const asio::ip::address& client) const;

  std::shared_ptr<detail::LimiterState> state_;
};

}  // namespace tessera::net
