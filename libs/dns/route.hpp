// Where to deliver mail for a domain: RFC 5321 §5.1 with RFC 7505 (null MX). route() does the
// lookups; order_mx() and destinations() are its pure parts, for unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "dns/resolver.hpp"

namespace tessera::dns {

// One host to try, in order, with its addresses (as Resolver::addresses orders them: interleaved,
// IPv6 first).
struct Destination {
  std::string host;
  std::uint16_t preference = 0;
  bool implicit = false;  // no MX: the domain itself (RFC 5321 §5.1), or an address literal
  std::vector<asio::ip::address> addresses;
};

// RFC 7505 §3: a single MX whose host is the root. Its preference is not checked (§3 says 0): a
// lone "." names no host to deliver to whatever its preference.
bool is_null_mx(const std::vector<MxRecord>& records);

// RFC 5321 §5.1: lowest preference first, each run of equal preferences shuffled ("MUST
// randomize them to spread the load") with a generator seeded by `seed`; a host listed twice is
// kept at its lowest preference, root hosts (a "." among other MX, which RFC 7505 §3 forbids)
// are dropped, at most max_mx_records are kept.
std::vector<MxRecord> order_mx(std::vector<MxRecord> records, std::uint64_t seed);

// The ordered hosts with their looked-up addresses (lookups[i] for hosts[i]) as destinations;
// hosts without an address are left out. None left: dns.no_address, whose message names each
// host and why it has no address.
Result<std::vector<Destination>> destinations(
    const std::vector<MxRecord>& hosts,
    std::vector<Result<std::vector<asio::ip::address>>> lookups);

// The hosts to try for `domain` (RFC 5321 §5.1):
// - an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]", §4.1.3) is its own destination;
// - MX records: order_mx() with a fresh seed, each host's addresses looked up at once
//   (concurrently), destinations();
// - a null MX: dns.null_mx (RFC 7505 §4.1);
// - no MX: the implicit MX, the domain's own AAAA/A (implicit = true); none: dns.not_found.
// Other errors as Resolver::mx: dns.bad_name, dns.not_found, dns.temporary (also when the
// Resolver is destroyed meanwhile: `resolver` is used only at the call).
awaitable<Result<std::vector<Destination>>> route(Resolver& resolver, std::string domain);

}  // namespace tessera::dns
