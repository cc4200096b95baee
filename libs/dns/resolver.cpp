#include "dns/resolver.hpp"

#include <algorithm>
#include <charconv>

#include "dns/channel.hpp"
#include "dns/lookup.hpp"

namespace tessera::dns {
namespace {

using namespace std::chrono_literals;

Error bad_server(std::string_view entry, std::string_view why) {
  return make_error(std::string(errc::bad_settings),
                    "DNS server \"" + std::string(entry) + "\": " + std::string(why));
}

// One ResolverSettings::servers entry in ares_set_servers_ports_csv's form: "192.0.2.1:53",
// "[2001:db8::1]:53".
Result<std::string> server_entry(std::string_view entry) {
  std::string_view host = entry;
  std::string_view port;
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return bad_server(entry, "no closing ']'");
    host = entry.substr(1, close - 1);
    const std::string_view rest = entry.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad_server(entry, "junk after ']'");
    if (!rest.empty()) port = rest.substr(1);
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {  // IPv4 with a port
    host = entry.substr(0, entry.find(':'));
    port = entry.substr(entry.find(':') + 1);
  }
  error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec || host.find('%') != std::string_view::npos) {
    return bad_server(entry, "not an IP address (host:port, [v6]:port)");
  }
  unsigned number = 53;
  if (!port.empty() || entry.ends_with(':')) {
    const auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (err != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535) {
      return bad_server(entry, "the port is not a number in 1..65535");
    }
  }
  const std::string text = address.to_string();
  return (address.is_v6() ? "[" + text + "]" : text) + ":" + std::to_string(number);
}

}  // namespace

Resolver::Resolver(std::shared_ptr<detail::Channel> channel) : channel_(std::move(channel)) {}

Resolver::~Resolver() {
  channel_->shutdown();
}

Result<std::unique_ptr<Resolver>> Resolver::create(asio::any_io_executor executor,
                                                   ResolverSettings settings) {
  if (settings.timeout < 1ms || settings.timeout > 10min) {
    return make_error(std::string(errc::bad_settings), "DNS timeout must be 1 ms to 10 minutes");
  }
  if (settings.tries < 1 || settings.tries > 10) {
    return make_error(std::string(errc::bad_settings), "DNS tries must be 1 to 10");
  }
  std::string servers;
  for (const auto& entry : settings.servers) {
    auto server = server_entry(entry);
    if (!server) return server.error();
    servers += (servers.empty() ? "" : ",") + *server;
  }
  auto channel = detail::Channel::open(std::move(executor), settings, servers);
  if (!channel) return channel.error();
  return std::unique_ptr<Resolver>(new Resolver(std::move(*channel)));
}

awaitable<Result<std::vector<MxRecord>>> Resolver::mx(std::string domain) {
  return detail::lookup_mx(channel_, std::move(domain));
}

awaitable<Result<std::vector<asio::ip::address>>> Resolver::addresses(std::string host) {
  return detail::lookup_addresses(channel_, std::move(host));
}

}  // namespace tessera::dns
