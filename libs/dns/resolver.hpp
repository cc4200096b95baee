// The relay's DNS resolver for outbound mail: MX (RFC 1035 §3.3.9) and address (AAAA, A) lookups
// on c-ares, driven by Asio without a thread per query. route.hpp turns them into the hosts to
// try (RFC 5321 §5.1).
//
// One c-ares channel per Resolver; every c-ares call runs on the Resolver's own strand over the
// executor given to create(), so any number of coroutines, on any executor and thread, may await
// mx() and addresses() on one Resolver at once. Each awaitable completes on its caller's
// executor. A query ends within its budget: timeout × tries × the number of servers (c-ares
// itself doubles the timeout on every round; the budget keeps the bound the settings say).
// Answers are bounded: at most max_mx_records MX records and max_addresses addresses a family.
//
// Destroying the Resolver, from any thread, shuts its channel down on the strand: pending
// queries, route()'s too, end with dns.temporary ("resolver shut down") on their callers'
// executors, and c-ares closes its sockets; the io_context must go on running for that (destroy
// the Resolver before its io_context). A call uses the Resolver only when it is made (its
// operations hold the channel weakly), so coroutines may still be awaiting when it is destroyed.
// An io_context destroyed with queries pending discards them as it discards every pending
// handler. There is no per-operation cancellation: a query ends by its answer, its budget or the
// shutdown.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "dns/errors.hpp"

namespace tessera::dns {

struct ResolverSettings {
  // "host:port" entries ("127.0.0.1:5353", "[::1]:53"; a bare address means port 53); empty =
  // the system's /etc/resolv.conf.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{5000};  // per try
  int tries = 2;                            // per server
};

struct MxRecord {
  std::uint16_t preference = 0;
  std::string host;  // lower case without the trailing dot; "" for the root (null MX, RFC 7505)

  friend bool operator==(const MxRecord&, const MxRecord&) = default;
};

// A domain with more MX records is misconfigured or hostile; the lowest preferences are kept.
inline constexpr std::size_t max_mx_records = 20;
inline constexpr std::size_t max_addresses = 16;  // of each family, per host

namespace detail {
class Channel;
}
class Resolver;
struct Destination;  // route.hpp
awaitable<Result<std::vector<Destination>>> route(Resolver& resolver, std::string domain);

class Resolver {
 public:
  // Errors: dns.bad_settings (a server entry that is no address and port, timeout under 1 ms,
  // tries outside 1..10), dns.init (c-ares failed to start, e.g. an unreadable resolv.conf).
  static Result<std::unique_ptr<Resolver>> create(asio::any_io_executor executor,
                                                  ResolverSettings settings);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // MX records of `domain` in the order of the answer; an empty vector = the name exists but has
  // no MX (NODATA, or only a CNAME without MX). Errors: dns.bad_name, dns.not_found,
  // dns.temporary.
  awaitable<Result<std::vector<MxRecord>>> mx(std::string domain);

  // AAAA and A records of `host` (both queried at once, CNAMEs followed by c-ares), interleaved
  // IPv6 first (RFC 8305 §4: a host whose IPv6 is unreachable costs one failed connection, not
  // all of them); empty = none. Errors: dns.bad_name; dns.not_found when both say NXDOMAIN;
  // dns.temporary when neither gave an address and one failed.
  awaitable<Result<std::vector<asio::ip::address>>> addresses(std::string host);

 private:
  friend awaitable<Result<std::vector<Destination>>> route(Resolver& resolver, std::string domain);
  explicit Resolver(std::shared_ptr<detail::Channel> channel);

  std::shared_ptr<detail::Channel> channel_;
};

}  // namespace tessera::dns
