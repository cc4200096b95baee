#include "dns/route.hpp"

#include <algorithm>
#include <cassert>
#include <optional>
#include <random>

#include <boost/asio/experimental/parallel_group.hpp>

#include "dns/lookup.hpp"
#include "dns/name.hpp"

namespace tessera::dns {
namespace {

using Addresses = std::vector<asio::ip::address>;

// A fresh seed for order_mx: §5.1's randomisation must differ between deliveries.
std::uint64_t next_seed() {
  thread_local std::mt19937_64 seeds{std::random_device{}()};
  return seeds();
}

// lookup_addresses as a deferred operation for a parallel group. std::optional because co_spawn
// hands a default-constructed value along with an exception, and Result has none.
auto lookup(std::weak_ptr<detail::Channel> channel, const asio::any_io_executor& executor,
            std::string host) {
  return asio::co_spawn(
      executor,
      [channel = std::move(channel),
       host = std::move(host)]() -> awaitable<std::optional<Result<Addresses>>> {
        co_return co_await detail::lookup_addresses(channel, host);
      },
      asio::deferred);
}

// Every host's addresses, looked up concurrently: one slow name server costs one budget, not
// one per host.
awaitable<std::vector<Result<Addresses>>> lookup_all(std::weak_ptr<detail::Channel> channel,
                                                     const std::vector<MxRecord>& hosts) {
  const auto executor = co_await asio::this_coro::executor;
  std::vector<decltype(lookup(channel, executor, {}))> ops;
  for (const auto& host : hosts)
    ops.push_back(lookup(channel, executor, host.host));
  auto [order, exceptions, results] =
      co_await asio::experimental::make_parallel_group(std::move(ops))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  std::vector<Result<Addresses>> out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (exceptions[i]) std::rethrow_exception(exceptions[i]);  // std::bad_alloc only
    out.push_back(std::move(*results[i]));
  }
  co_return out;
}

// route() on the channel, held weakly from the call on (lookup.hpp).
awaitable<Result<std::vector<Destination>>> route_on(std::weak_ptr<detail::Channel> channel,
                                                     std::string domain) {
  // §4.1.3 and §5.1: an address literal names the host itself.
  if (auto literal = address_literal(domain)) {
    co_return std::vector<Destination>{{domain, 0, true, {*literal}}};
  }
  auto name = normalize_domain(domain);
  if (!name) co_return name.error();
  auto records = co_await detail::lookup_mx(channel, *name);
  if (!records) co_return records.error();
  if (is_null_mx(*records)) {
    co_return make_error(std::string(errc::null_mx),
                         *name + " accepts no mail: its MX is \".\" (null MX, RFC 7505)");
  }
  if (records->empty()) {
    // §5.1: no MX, so the domain is its own mail exchanger at preference 0.
    auto own = co_await detail::lookup_addresses(channel, *name);
    if (!own) co_return own.error();
    if (own->empty()) {
      co_return make_error(std::string(errc::not_found),
                           *name + " has neither MX nor AAAA/A records (RFC 5321 §5.1)");
    }
    co_return std::vector<Destination>{{*name, 0, true, std::move(*own)}};
  }
  auto hosts = order_mx(std::move(*records), next_seed());
  auto lookups = co_await lookup_all(channel, hosts);
  co_return destinations(hosts, std::move(lookups));
}

}  // namespace

bool is_null_mx(const std::vector<MxRecord>& records) {
  return records.size() == 1 && records.front().host.empty();
}

std::vector<MxRecord> order_mx(std::vector<MxRecord> records, std::uint64_t seed) {
  std::erase_if(records, [](const MxRecord& r) { return r.host.empty(); });
  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  std::vector<MxRecord> ordered;
  for (auto& record : records) {
    const bool seen = std::any_of(ordered.begin(), ordered.end(),
                                  [&](const MxRecord& o) { return o.host == record.host; });
    if (!seen) ordered.push_back(std::move(record));
  }
  std::mt19937_64 random(seed);
  for (auto run = ordered.begin(); run != ordered.end();) {
    const auto end = std::find_if(
        run, ordered.end(), [&](const MxRecord& r) { return r.preference != run->preference; });
    std::shuffle(run, end, random);
    run = end;
  }
  if (ordered.size() > max_mx_records) ordered.resize(max_mx_records);
  return ordered;
}

Result<std::vector<Destination>> destinations(const std::vector<MxRecord>& hosts,
                                              std::vector<Result<Addresses>> lookups) {
  assert(hosts.size() == lookups.size());
  std::vector<Destination> out;
  std::string why;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (lookups[i] && !lookups[i]->empty()) {
      out.push_back({hosts[i].host, hosts[i].preference, false, std::move(*lookups[i])});
      continue;
    }
    why += why.empty() ? "" : "; ";
    why += lookups[i] ? hosts[i].host + ": no AAAA or A records" : lookups[i].error().message;
  }
  if (out.empty()) {
    return make_error(std::string(errc::no_address),
                      "no MX host has an address" + (why.empty() ? "" : ": " + why));
  }
  return out;
}

awaitable<Result<std::vector<Destination>>> route(Resolver& resolver, std::string domain) {
  return route_on(resolver.channel_, std::move(domain));
}

}  // namespace tessera::dns
