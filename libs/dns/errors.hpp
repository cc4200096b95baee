// The error codes of the DNS layer, stable for the relay to map to a DSN or a retry in one place
// (style.md §7). Messages name the domain and what the DNS said; codes are for programs.
#pragma once

#include <string_view>

namespace tessera::dns::errc {

// Permanent: bounce.
// NXDOMAIN (RFC 1035 §4.1.1 RCODE 3), or a domain with neither MX nor address records
// (RFC 5321 §5.1: the implicit MX is unusable). DSN 5.1.2, bad destination system address.
inline constexpr std::string_view not_found = "dns.not_found";
// RFC 7505 §3: the domain's only MX is "." — it accepts no mail. RFC 7505 §4.1: 556 5.1.10.
inline constexpr std::string_view null_mx = "dns.null_mx";
// The name is no domain (RFC 5321 §4.1.2, RFC 1035 §2.3.4), or the DNS said so (ARES_EBADNAME).
inline constexpr std::string_view bad_name = "dns.bad_name";

// Temporary: retry later.
// MX hosts exist but none has an address: often a zone being changed; RFC 5321 §5.1 calls it an
// error, and the relay retries it until the message expires.
inline constexpr std::string_view no_address = "dns.no_address";
// SERVFAIL, REFUSED, timeout, no server reachable, a malformed answer, the resolver shut down.
inline constexpr std::string_view temporary = "dns.temporary";

// Resolver::create only.
inline constexpr std::string_view bad_settings = "dns.bad_settings";  // servers, timeout, tries
inline constexpr std::string_view init = "dns.init";                  // c-ares could not start

}  // namespace tessera::dns::errc
