// CidrSet: a list of trusted address ranges (e.g. the load balancers allowed to send a PROXY
// header). Parsed once from configuration, then asked per connection.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"

namespace tessera::net {

class CidrSet {
 public:
  CidrSet() = default;

  // Entries look like "10.0.0.0/8", "2001:db8::/32" or a bare address ("192.0.2.1" = /32,
  // "::1" = /128). Host bits below the prefix are ignored ("10.1.2.3/8" = "10.0.0.0/8"), as
  // in most firewall syntaxes. "::ffff:a.b.c.d/N" with N >= 96 is stored as the IPv4 range.
  // On error: code "net.bad_cidr", a message that names the offending entry.
  static Result<CidrSet> parse(const std::vector<std::string>& entries);

  // True when the address lies in one of the ranges. IPv4-mapped IPv6 addresses
  // (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) match IPv4 ranges.
  bool contains(const asio::ip::address& address) const;

  bool empty() const { return ranges_.empty(); }
  std::size_t size() const { return ranges_.size(); }

 private:
  struct Range {
    std::array<std::uint8_t, 16> bytes{};  // network address, host bits cleared
    unsigned prefix = 0;                   // significant leading bits
    bool v4 = false;                       // 4 significant bytes instead of 16
  };
  static Result<Range> parse_range(const std::string& entry);

  std::vector<Range> ranges_;
};

// An address with IPv4-mapped IPv6 turned into plain IPv4; anything else unchanged. Every
// per-address decision (trust, limits, logging) uses this form so that one client is one key.
asio::ip::address unmap_v4(const asio::ip::address& address);

}  // namespace tessera::net
