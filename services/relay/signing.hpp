// DKIM signatures (RFC 6376) on submitted mail, made once per message before it is routed, so
// hosted and remote recipients see the same signed bytes. The signing domain is the domain of
// the From header (the address DMARC aligns with, RFC 7489 §3.1; the relay has already checked
// that the account may send as it). The store keeps each domain's keys; the newest key of each
// algorithm signs (rotation: generate a key under a new selector, publish it, and it takes
// over), so a domain with an RSA and an Ed25519 key gets both signatures (RFC 8463 §4 advises
// the pair while Ed25519 verifiers are few).
#pragma once

#include <string>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "smtp/spool.hpp"
#include "store_client.hpp"

namespace tessera::relay {

struct Settings;

// The DKIM-Signature fields to put in front of `message` (CRLF-terminated, empty when
// `from_domain` — the submission handler's parse of From — has no key or is not hosted here). A key
// that cannot sign is logged and skipped: the mail goes unsigned rather than not at all. Errors:
// the store could not be asked (the caller answers 451, so a domain that publishes DMARC p=reject
// never sees its mail unsigned for an outage).
awaitable<Result<std::string>> dkim_signatures(const Settings& settings,
                                               const std::string& from_domain,
                                               const smtp::Spool& message);

}  // namespace tessera::relay
