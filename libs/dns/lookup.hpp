// The lookups behind Resolver and route(): a query on the channel, its answer parsed into records
// and its failure into the relay's error codes (errors.hpp). They hold the channel weakly, so an
// operation that starts after the Resolver is gone ends with dns.temporary instead of touching
// it, and no coroutine frame keeps a channel alive through its own pending queries. Internal to
// libs/dns.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "dns/resolver.hpp"

namespace tessera::dns::detail {

class Channel;

// Resolver::mx and Resolver::addresses, on a channel that may be gone.
awaitable<Result<std::vector<MxRecord>>> lookup_mx(std::weak_ptr<Channel> channel,
                                                   std::string domain);
awaitable<Result<std::vector<asio::ip::address>>> lookup_addresses(std::weak_ptr<Channel> channel,
                                                                   std::string host);

}  // namespace tessera::dns::detail
