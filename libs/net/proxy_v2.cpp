#include "net/proxy_v2.hpp"

#include <algorithm>
#include <array>

namespace tessera::net {
namespace {

constexpr std::array<std::uint8_t, 12> kSignature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                     0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

ProxyParse need(std::size_t bytes) {
  ProxyParse r;
  r.status = ProxyParseStatus::need_more;
  r.needed = bytes;
  return r;
}

ProxyParse bad(std::string_view reason) {
  ProxyParse r;
  r.status = ProxyParseStatus::bad;
  r.reason = reason;
  return r;
}

// §2.2 byte 14, high nibble. The address block size each family fixes.
std::size_t address_bytes(ProxyFamily family) {
  switch (family) {
    case ProxyFamily::inet:
      return 12;
    case ProxyFamily::inet6:
      return 36;
    case ProxyFamily::unix_socket:
      return 216;
    case ProxyFamily::unspec:
      return 0;
  }
  return 0;
}

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// Fills source/destination from an inet/inet6 address block (§2.2: src addr, dst addr,
// src port, dst port, all network byte order).
void read_endpoints(const std::uint8_t* block, ProxyHeader& header) {
  asio::ip::address src;
  asio::ip::address dst;
  std::size_t addr_len = 0;
  if (header.family == ProxyFamily::inet) {
    asio::ip::address_v4::bytes_type a{};
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(block, 4, a.begin());
    std::copy_n(block + 4, 4, b.begin());
    src = asio::ip::address_v4(a);
    dst = asio::ip::address_v4(b);
    addr_len = 4;
  } else {
    asio::ip::address_v6::bytes_type a{};
    asio::ip::address_v6::bytes_type b{};
    std::copy_n(block, 16, a.begin());
    std::copy_n(block + 16, 16, b.begin());
    src = asio::ip::address_v6(a);
    dst = asio::ip::address_v6(b);
    addr_len = 16;
  }
  header.source = tcp::endpoint(src, be16(block + 2 * addr_len));
  header.destination = tcp::endpoint(dst, be16(block + 2 * addr_len + 2));
}

// §2.2.x: TLVs are type (1), length (2, big-endian), value. We use none of them, but a TLV that
// runs past the header means the length field lies; refuse rather than guess.
bool tlvs_well_formed(const std::uint8_t* p, std::size_t size) {
  std::size_t at = 0;
  while (at < size) {
    if (size - at < 3) return false;
    const std::size_t value = be16(p + at + 1);
    if (size - at - 3 < value) return false;
    at += 3 + value;
  }
  return true;
}

// Checks bytes 13..16 as far as they are present. Returns a bad result or nothing.
std::optional<ProxyParse> check_fixed(std::span<const std::uint8_t> in, ProxyHeader& header) {
  if (in.size() > 12) {
    // §2.2: high nibble is the version (must be 2), low nibble LOCAL (0) or PROXY (1).
    if ((in[12] >> 4) != 0x2) return bad("unsupported PROXY protocol version");
    const unsigned command = in[12] & 0x0F;
    if (command > 1) return bad("unknown PROXY command");
    header.command = command == 0 ? ProxyCommand::local : ProxyCommand::proxy;
  }
  if (in.size() > 13) {
    // §2.2: "Receivers must drop connections presenting unexpected values here."
    const unsigned family = in[13] >> 4;
    const unsigned transport = in[13] & 0x0F;
    if (family > 3) return bad("unknown address family");
    if (transport > 2) return bad("unknown transport protocol");
    header.family = static_cast<ProxyFamily>(family);
    header.transport = static_cast<ProxyTransport>(transport);
  }
  if (in.size() >= kProxyV2FixedBytes) {
    const std::size_t payload = be16(in.data() + 14);
    if (payload > address_bytes(header.family) + kProxyV2MaxTlvBytes) {
      return bad("header longer than the limit");
    }
    if (header.command == ProxyCommand::proxy && payload < address_bytes(header.family)) {
      return bad("length too short for the address family");
    }
  }
  return std::nullopt;
}

}  // namespace

ProxyParse parse_proxy_v2(std::span<const std::uint8_t> in) {
  const std::size_t sig = std::min(in.size(), kSignature.size());
  if (!std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(sig), kSignature.begin())) {
    return bad("no PROXY v2 signature");
  }
  ProxyParse result;
  if (auto refused = check_fixed(in, result.header)) return *refused;
  if (in.size() < kProxyV2FixedBytes) return need(kProxyV2FixedBytes);

  const std::size_t total = kProxyV2FixedBytes + be16(in.data() + 14);
  if (in.size() < total) return need(total);

  ProxyHeader& header = result.header;
  header.length = total;
  const std::uint8_t* block = in.data() + kProxyV2FixedBytes;
  // LOCAL: §2.2 says to ignore the family and the address block, TLVs included; so is the
  // content of an UNSPEC block ("the receiver should ignore address information").
  if (header.command == ProxyCommand::proxy && header.family != ProxyFamily::unspec) {
    const std::size_t addr = address_bytes(header.family);
    if (!tlvs_well_formed(block + addr, total - kProxyV2FixedBytes - addr)) {
      return bad("malformed TLV");
    }
    if (header.family == ProxyFamily::inet || header.family == ProxyFamily::inet6) {
      read_endpoints(block, header);
    }
  }
  result.status = ProxyParseStatus::ok;
  return result;
}

}  // namespace tessera::net
