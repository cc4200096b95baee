#include "net/cidr.hpp"

#include <charconv>

namespace tessera::net {
namespace {

// Clears every bit after the first `prefix` bits of `bytes`.
void mask(std::array<std::uint8_t, 16>& bytes, unsigned prefix, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    const unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix) {
      bytes[i] = 0;
    } else if (prefix - bit < 8) {
      bytes[i] &= static_cast<std::uint8_t>(0xFF << (8 - (prefix - bit)));
    }
  }
}

Error bad_entry(const std::string& entry, const std::string& why) {
  return make_error("net.bad_cidr", "bad address range \"" + entry + "\": " + why +
                                        " (want an address or address/prefix, e.g. 10.0.0.0/8)");
}

}  // namespace

asio::ip::address unmap_v4(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

Result<CidrSet::Range> CidrSet::parse_range(const std::string& entry) {
  const std::size_t slash = entry.find('/');
  const std::string host = entry.substr(0, slash);
  error_code ec;
  const asio::ip::address parsed = asio::ip::make_address(host, ec);
  if (ec || host.find('%') != std::string::npos) {
    return bad_entry(entry, "\"" + host + "\" is not an IPv4 or IPv6 address");
  }
  const unsigned width = parsed.is_v4() ? 32 : 128;
  unsigned prefix = width;
  if (slash != std::string::npos) {
    const char* first = entry.data() + slash + 1;
    const char* last = entry.data() + entry.size();
    const auto [end, err] = std::from_chars(first, last, prefix);
    if (first == last || err != std::errc() || end != last || prefix > width) {
      return bad_entry(entry, "prefix length must be 0.." + std::to_string(width));
    }
  }
  const asio::ip::address address = unmap_v4(parsed);
  if (parsed != address) {
    // "::ffff:10.0.0.0/104" → "10.0.0.0/8"; a shorter prefix reaches beyond the mapped block.
    if (prefix < 96) return bad_entry(entry, "an IPv4-mapped range needs a prefix of at least 96");
    prefix -= 96;
  }
  Range range;
  range.v4 = address.is_v4();
  range.prefix = prefix;
  if (range.v4) {
    const auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), range.bytes.begin());
  } else {
    range.bytes = address.to_v6().to_bytes();
  }
  mask(range.bytes, prefix, range.v4 ? 4 : 16);
  return range;
}

Result<CidrSet> CidrSet::parse(const std::vector<std::string>& entries) {
  CidrSet set;
  for (const std::string& entry : entries) {
    auto range = parse_range(entry);
    if (!range) return range.error();
    set.ranges_.push_back(*range);
  }
  return set;
}

bool CidrSet::contains(const asio::ip::address& peer) const {
  const asio::ip::address address = unmap_v4(peer);
  std::array<std::uint8_t, 16> bytes{};
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  } else {
    bytes = address.to_v6().to_bytes();
  }
  for (const Range& range : ranges_) {
    if (range.v4 != address.is_v4()) continue;
    std::array<std::uint8_t, 16> masked = bytes;
    mask(masked, range.prefix, range.v4 ? 4 : 16);
    if (masked == range.bytes) return true;
  }
  return false;
}

}  // namespace tessera::net
