#include "net/connection_limiter.hpp"

#include <algorithm>

#include "net/cidr.hpp"

namespace tessera::net {

Permit::Permit(Permit&& other) noexcept : state_(std::move(other.state_)), key_(other.key_) {
  other.state_.reset();
}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    key_ = other.key_;
    other.state_.reset();
  }
  return *this;
}

void Permit::release() {
  if (!state_) return;
  {
    std::lock_guard lock(state_->mutex);
    --state_->total;
    auto it = state_->per_ip.find(key_);
    if (it != state_->per_ip.end() && --it->second == 0) state_->per_ip.erase(it);
  }
  state_.reset();
}

ConnectionLimiter::ConnectionLimiter(ConnectionLimits limits)
    : state_(std::make_shared<detail::LimiterState>()) {
  state_->limits = limits;
}

asio::ip::address ConnectionLimiter::key_for(const asio::ip::address& client) const {
  const asio::ip::address address = unmap_v4(client);
  if (address.is_v4()) return address;
  const unsigned prefix = std::min(state_->limits.ipv6_prefix_bits, 128u);
  return asio::ip::network_v6(address.to_v6(), static_cast<unsigned short>(prefix)).network();
}

std::optional<Permit> ConnectionLimiter::try_acquire(const asio::ip::address& client) {
  const asio::ip::address key = key_for(client);
  std::lock_guard lock(state_->mutex);
  const ConnectionLimits& limits = state_->limits;
  if (limits.max_total != 0 && state_->total >= limits.max_total) return std::nullopt;
  std::size_t& mine = state_->per_ip[key];
  if (limits.max_per_ip != 0 && mine >= limits.max_per_ip) return std::nullopt;
  ++mine;
  ++state_->total;
  return Permit(state_, key);
}

std::size_t ConnectionLimiter::total() const {
  std::lock_guard lock(state_->mutex);
  return state_->total;
}

std::size_t ConnectionLimiter::count(const asio::ip::address& client) const {
  const asio::ip::address key = key_for(client);
  std::lock_guard lock(state_->mutex);
  auto it = state_->per_ip.find(key);
  return it == state_->per_ip.end() ? 0 : it->second;
}

}  // namespace tessera::net
