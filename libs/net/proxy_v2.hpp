// PROXY protocol version 2 header parser (HAProxy, doc/proxy-protocol.txt §2.2). A load
// balancer prepends this binary header to a TCP connection to tell us the real client address.
// Pure function over bytes: no I/O, no allocation, safe on any input (fuzzed in
// tests/fuzz/proxy_v2_fuzz.cpp). Whether to believe the header is the Listener's decision.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/asio.hpp"

namespace tessera::net {

// §2.2: 12-byte signature, version/command, family/transport, 16-bit big-endian length.
inline constexpr std::size_t kProxyV2FixedBytes = 16;
// Bytes we accept after the address block (TLVs). Real balancers send well under 1 KiB; a
// larger length is refused before we read it, so a header never costs more than ~1.3 KiB.
inline constexpr std::size_t kProxyV2MaxTlvBytes = 1024;
// The largest address block (§2.2: AF_UNIX, 2 × 108 bytes).
inline constexpr std::size_t kProxyV2MaxAddressBytes = 216;
inline constexpr std::size_t kProxyV2MaxHeader =
    kProxyV2FixedBytes + kProxyV2MaxAddressBytes + kProxyV2MaxTlvBytes;

enum class ProxyCommand { local, proxy };
enum class ProxyFamily { unspec, inet, inet6, unix_socket };
enum class ProxyTransport { unspec, stream, dgram };

struct ProxyHeader {
  std::size_t length = 0;  // bytes the header occupies; the protocol's bytes start after it
  ProxyCommand command = ProxyCommand::local;
  ProxyFamily family = ProxyFamily::unspec;
  ProxyTransport transport = ProxyTransport::unspec;
  // Set for PROXY over inet/inet6 only. LOCAL (health checks), UNSPEC and UNIX carry no
  // usable address: §2.2 says the receiver then uses the real connection endpoints.
  std::optional<tcp::endpoint> source;
  std::optional<tcp::endpoint> destination;
};

enum class ProxyParseStatus { need_more, bad, ok };

struct ProxyParse {
  ProxyParseStatus status = ProxyParseStatus::need_more;
  // need_more: total input size needed before parsing can progress (always > input size and
  // <= kProxyV2MaxHeader), so a reader can ask for exactly the missing bytes and never read
  // past the header into the protocol's own bytes.
  std::size_t needed = 0;
  std::string_view reason;  // bad: why, static text for logs
  ProxyHeader header;       // ok

  bool ok() const { return status == ProxyParseStatus::ok; }
};

// Parses the header at the start of `input`. Bytes that cannot begin a valid header are
// refused as soon as they are seen (a client speaking IMAP at a PROXY port fails at once
// instead of waiting for 16 bytes); trailing bytes after the header are not looked at.
ProxyParse parse_proxy_v2(std::span<const std::uint8_t> input);

}  // namespace tessera::net
