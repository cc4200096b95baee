#include "dns/lookup.hpp"

#include <algorithm>

#include <ares.h>
#include <arpa/nameser.h>

#include "base/ascii.hpp"
#include "dns/channel.hpp"
#include "dns/name.hpp"

namespace tessera::dns::detail {
namespace {

// A failed lookup in the relay's terms (errors.hpp).
Error lookup_error(int status, std::string_view type, const std::string& name) {
  const std::string what = std::string(type) + " lookup of " + name;
  switch (status) {
    case ARES_ENOTFOUND:
      return make_error(std::string(errc::not_found), what + ": no such domain (NXDOMAIN)");
    case ARES_EBADNAME:
      return make_error(std::string(errc::bad_name), what + ": " + ares_strerror(status));
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      return make_error(std::string(errc::temporary), what + ": resolver shut down");
    default:  // ESERVFAIL, EREFUSED, ETIMEOUT, ECONNREFUSED, EFORMERR, ENOTIMP, EBADRESP, ...
      return make_error(std::string(errc::temporary), what + ": " + ares_strerror(status));
  }
}

Error malformed(int status, std::string_view type, const std::string& name) {
  return make_error(
      std::string(errc::temporary),
      std::string(type) + " lookup of " + name + ": unusable answer: " + ares_strerror(status));
}

Result<std::vector<MxRecord>> mx_records(const Answer& answer, const std::string& name) {
  if (answer.status == ARES_ENODATA) return std::vector<MxRecord>{};
  if (answer.status != ARES_SUCCESS) return lookup_error(answer.status, "MX", name);
  ares_mx_reply* list = nullptr;
  const int rc =
      ares_parse_mx_reply(answer.message.data(), static_cast<int>(answer.message.size()), &list);
  std::unique_ptr<ares_mx_reply, decltype(&ares_free_data)> owner(list, &ares_free_data);
  if (rc == ARES_ENODATA) return std::vector<MxRecord>{};  // a CNAME alone
  if (rc != ARES_SUCCESS) return malformed(rc, "MX", name);
  std::vector<MxRecord> records;
  for (const auto* mx = list; mx != nullptr; mx = mx->next) {
    // c-ares writes the root as "" (RFC 7505's "."); other hosts without their final dot.
    std::string host = mx->host != nullptr ? mx->host : "";
    if (!host.empty() && host.back() == '.') host.pop_back();
    records.push_back({mx->priority, ascii_lower(host)});
  }
  if (records.size() > max_mx_records) {
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    records.resize(max_mx_records);
  }
  return records;
}

// AAAA or A records; an empty vector for NODATA.
Result<std::vector<asio::ip::address>> address_records(const Answer& answer, bool v6,
                                                       const std::string& name) {
  const std::string_view type = v6 ? "AAAA" : "A";
  if (answer.status == ARES_ENODATA) return std::vector<asio::ip::address>{};
  if (answer.status != ARES_SUCCESS) return lookup_error(answer.status, type, name);
  const auto* message = answer.message.data();
  const int length = static_cast<int>(answer.message.size());
  int count = static_cast<int>(max_addresses);
  std::vector<asio::ip::address> out;
  int rc = 0;
  if (v6) {
    ares_addr6ttl found[max_addresses];
    rc = ares_parse_aaaa_reply(message, length, nullptr, found, &count);
    for (int i = 0; rc == ARES_SUCCESS && i < count; ++i) {
      asio::ip::address_v6::bytes_type bytes;
      std::copy_n(reinterpret_cast<const unsigned char*>(&found[i].ip6addr), 16, bytes.begin());
      out.emplace_back(asio::ip::address_v6(bytes));
    }
  } else {
    ares_addrttl found[max_addresses];
    rc = ares_parse_a_reply(message, length, nullptr, found, &count);
    for (int i = 0; rc == ARES_SUCCESS && i < count; ++i) {
      out.emplace_back(asio::ip::address_v4(ntohl(found[i].ipaddr.s_addr)));
    }
  }
  if (rc == ARES_ENODATA) return std::vector<asio::ip::address>{};  // a CNAME chain without one
  if (rc != ARES_SUCCESS) return malformed(rc, type, name);
  return out;
}

// Both families' results as addresses() reports them.
Result<std::vector<asio::ip::address>> merge(Result<std::vector<asio::ip::address>> v6,
                                             Result<std::vector<asio::ip::address>> v4) {
  const auto empty = [](const auto& r) { return !r || r->empty(); };
  if (empty(v6) && empty(v4)) {
    const auto nx = [](const auto& r) { return !r && r.error().code == errc::not_found; };
    if (nx(v6) && nx(v4)) return v6.error();
    if (!v6 && !nx(v6)) return v6.error();
    if (!v4 && !nx(v4)) return v4.error();
    return std::vector<asio::ip::address>{};
  }
  std::vector<asio::ip::address> none;
  const auto& six = v6 ? *v6 : none;
  const auto& four = v4 ? *v4 : none;
  std::vector<asio::ip::address> out;
  for (std::size_t i = 0; i < std::max(six.size(), four.size()); ++i) {  // RFC 8305 §4
    if (i < six.size()) out.push_back(six[i]);
    if (i < four.size()) out.push_back(four[i]);
  }
  return out;
}

}  // namespace

awaitable<Result<std::vector<MxRecord>>> lookup_mx(std::weak_ptr<Channel> channel,
                                                   std::string domain) {
  auto name = normalize_domain(domain);
  if (!name) co_return name.error();
  const Answer answer = co_await Channel::query(channel, *name, ns_t_mx);
  co_return mx_records(answer, *name);
}

awaitable<Result<std::vector<asio::ip::address>>> lookup_addresses(std::weak_ptr<Channel> channel,
                                                                   std::string host) {
  using namespace asio::experimental::awaitable_operators;
  auto name = normalize_domain(host);
  if (!name) co_return name.error();
  const auto [v6, v4] = co_await (Channel::query(channel, *name, ns_t_aaaa) &&
                                  Channel::query(channel, *name, ns_t_a));
  co_return merge(address_records(v6, true, *name), address_records(v4, false, *name));
}

}  // namespace tessera::dns::detail
