// Domain-name syntax for mail routing: what may be looked up, and the address literals of RFC 5321
// §4.1.3 that need no lookup. Pure; no DNS.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/asio.hpp"
#include "base/result.hpp"

namespace tessera::dns {

// RFC 1035 §2.3.4: 63 octets a label, 255 for the name on the wire, so 253 in text.
inline constexpr std::size_t max_label_length = 63;
inline constexpr std::size_t max_name_length = 253;

// `name` as it is looked up and compared: ASCII lower case, one trailing dot taken off.
// RFC 5321 §4.1.2 Domain: labels of letters, digits and inner hyphens (A-labels: a U-label must
// be converted with IDNA first). Anything else is dns.bad_name.
Result<std::string> normalize_domain(std::string_view name);

// RFC 5321 §4.1.3: "[192.0.2.1]" or "[IPv6:2001:db8::1]"; nullopt for anything else (including a
// General-address-literal with another tag).
std::optional<asio::ip::address> address_literal(std::string_view domain);

}  // namespace tessera::dns
