// Delivering one recipient domain's share of a queue entry to the Internet: the domain's MX hosts
// in order (libs/dns, RFC 5321 §5.1), one SMTP session at a time on the client engine, STARTTLS
// whenever offered (RFC 3207; opportunistic, so an unverified certificate still encrypts, and a
// failed handshake is retried in plaintext as RFC 7435 §3 allows), the next address when one
// cannot be reached or will not talk (§5.1: "try the next"), and one reply per recipient.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "dns/route.hpp"
#include "session_cache.hpp"
#include "smtp/client.hpp"

namespace tessera::relay {

struct RemoteSettings {
  std::string helo;         // our name in EHLO (and the loop check)
  std::uint16_t port = 25;  // the MX port; tests point it at a sink on loopback
  std::chrono::milliseconds connect_timeout{30000};
  bool starttls = true;                     // opportunistic STARTTLS
  std::shared_ptr<asio::ssl::context> tls;  // client context (no verification)
  // Addresses tried per attempt over all MX hosts (Postfix's smtp_mx_address_limit is 5), so
  // a domain with many dead hosts cannot hold a worker for long.
  std::size_t max_addresses = 5;
  // Off in production: no recipient's DNS and no address literal may point the relay at
  // loopback, private or link-local addresses (the internal network); tests turn it on.
  bool internal_addresses = false;
  smtp::ClientSettings client;
};

struct RecipientReply {
  smtp::Reply reply;        // what decides the recipient (the server's, or ours for no contact)
  std::string remote_mta;   // "mx.example.org[192.0.2.1]"; empty when none answered
  bool remote_dsn = false;  // the server offered DSN (RFC 3461): it sends success notices
};

// One reply per recipient of `envelope`, in order. Never fails: DNS trouble and unreachable
// hosts become replies (4yz to retry, 5yz to bounce). A session `sessions` keeps for the domain
// is used first; a session that ends well is left there for the next message.
awaitable<std::vector<RecipientReply>> deliver_domain(
    dns::Resolver& resolver, SessionCache& sessions, const RemoteSettings& settings,
    const std::string& domain, const smtp::Envelope& envelope, const smtp::MessageSource& message);

// Loopback, unspecified, private (RFC 1918, RFC 6598 shared, RFC 4193 unique local) and
// link-local addresses, IPv4-mapped ones included (pure: unit-tested).
bool is_internal(const asio::ip::address& address);

// What a failed MX lookup means for the recipients (pure: unit-tested).
smtp::Reply dns_failure_reply(const Error& error, const std::string& domain);

}  // namespace tessera::relay
