#include "remote.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "dns/errors.hpp"
#include "net/cidr.hpp"

namespace tessera::relay {
namespace {

// How one session with one address ended.
struct SessionEnd {
  // The server took part in a transaction: `result` holds its replies and no other address is
  // tried this time. Otherwise `failure` says why this address did not do (next address).
  bool transaction = false;
  bool tls_failed = false;  // STARTTLS handshake failed: the same address again in plaintext
  smtp::SendResult result;
  smtp::Reply failure;
  bool dsn = false;
  std::unique_ptr<smtp::Client> client;  // the session after a transaction, still usable
};

// §3.8: a 421 anywhere means the server is closing the session.
bool reusable(const smtp::SendResult& result) {
  auto closing = [](const smtp::Reply& r) { return r.code == 421; };
  return !result.local && !closing(result.mail) &&
         std::none_of(result.recipients.begin(), result.recipients.end(), closing) &&
         std::none_of(result.data.begin(), result.data.end(), closing);
}

smtp::Reply no_contact(std::string what) {
  return smtp::Reply{451, "4.4.1", std::move(what)};
}

std::string name_of(const smtp::Reply& ehlo) {
  const auto text = std::string_view(ehlo.text);
  const auto end = text.find_first_of(" \n");
  return std::string(text.substr(0, end));
}

// §4.2 greeting and §4.1.1.1 EHLO; STARTTLS when offered and wanted.
awaitable<Result<smtp::Reply>> open_session(smtp::Client& client, const RemoteSettings& settings,
                                            const std::string& host, bool tls, bool& tls_failed) {
  auto greeting = co_await client.read_greeting();
  if (!greeting) co_return greeting.error();
  if (!greeting->positive()) co_return *greeting;
  auto hello = co_await client.hello(settings.helo);
  if (!hello || !hello->positive() || !tls || !client.has("STARTTLS")) co_return hello;
  auto started = co_await client.starttls(settings.tls, host, false);
  if (!started) {
    tls_failed = true;
    co_return started.error();
  }
  if (!started->positive()) co_return hello;  // 454: carry on in plaintext (RFC 3207 §4)
  co_return co_await client.hello(settings.helo);
}

awaitable<SessionEnd> try_address(const RemoteSettings& settings, const std::string& host,
                                  const asio::ip::address& address, bool tls,
                                  const smtp::Envelope& envelope,
                                  const smtp::MessageSource& message) {
  SessionEnd end;
  const asio::ip::tcp::endpoint endpoint(address, settings.port);
  const auto where = host + "[" + address.to_string() + "]:" + std::to_string(settings.port);
  auto stream = co_await net::Stream::connect(endpoint, settings.connect_timeout);
  if (!stream) {
    end.failure = no_contact("connect to " + where + ": " + stream.error().message);
    co_return end;
  }
  auto client = std::make_unique<smtp::Client>(std::move(*stream), settings.client);
  auto opened = co_await open_session(*client, settings, host, tls, end.tls_failed);
  if (!opened) {
    end.failure = smtp::Reply{
        451, "4.4.2",
        "lost connection with " + where + " before the transaction: " + opened.error().message};
    co_return end;
  }
  if (!opened->positive()) {
    end.failure = *opened;  // "host refused to talk to me": another MX may
    (void)co_await client->quit();
    co_return end;
  }
  // §5.1 / Postfix's "mail loops back to myself": an MX that is this relay would take the
  // message, queue it again and send it here for ever.
  if (ascii_iequals(name_of(*opened), settings.helo)) {
    end.transaction = true;
    end.result.mail = smtp::Reply{554, "5.4.6", "mail for " + host + " loops back to myself"};
    (void)co_await client->quit();
    co_return end;
  }
  end.transaction = true;
  end.dsn = client->has("DSN");
  auto sent = co_await client->send(envelope, message);
  if (!sent) {
    // The connection broke inside the transaction: whether the server kept the message is
    // unknown, so every recipient is tried again later (at least once, never lost).
    end.result.mail = smtp::Reply{
        451, "4.4.2",
        "lost connection with " + where + " while sending the message: " + sent.error().message};
    co_return end;
  }
  end.result = std::move(*sent);
  if (reusable(end.result)) {
    end.client = std::move(client);  // the caller keeps it for the next message
  } else {
    (void)co_await client->quit();
  }
  co_return end;
}

std::vector<RecipientReply> replies_of(const SessionEnd& end, std::size_t recipients,
                                       const std::string& mta) {
  std::vector<RecipientReply> out(recipients);
  for (std::size_t i = 0; i < recipients; ++i) {
    if (end.result.recipients.empty() && end.result.data.empty())
      out[i].reply = end.result.mail;  // MAIL refused, the session broke, or a local refusal
    else
      out[i].reply = end.result.outcome(i);
    out[i].remote_mta = end.result.local ? "" : mta;
    out[i].remote_dsn = end.dsn;
  }
  return out;
}

}  // namespace

bool is_internal(const asio::ip::address& address) {
  // RFC 1122 "this network", loopback, RFC 1918, RFC 6598 shared, link-local, RFC 4193 unique
  // local; CidrSet matches IPv4-mapped addresses against the IPv4 ranges.
  static const auto internal =
      net::CidrSet::parse({"0.0.0.0/8", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
                           "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "::/128", "::1/128",
                           "fe80::/10", "fc00::/7"})
          .value();
  return internal.contains(address);
}

smtp::Reply dns_failure_reply(const Error& error, const std::string& domain) {
  if (error.code == dns::errc::not_found)
    return {550, "5.1.2", "Host or domain name not found: " + domain};
  if (error.code == dns::errc::null_mx)  // RFC 7505 §4.2
    return {556, "5.1.10", "Domain " + domain + " does not accept mail (null MX)"};
  if (error.code == dns::errc::bad_name) return {550, "5.1.2", "Bad domain name: " + domain};
  return {451, "4.4.3", "Name service error for " + domain + ": " + error.message};
}

awaitable<std::vector<RecipientReply>> deliver_domain(
    dns::Resolver& resolver, SessionCache& sessions, const RemoteSettings& settings,
    const std::string& domain, const smtp::Envelope& envelope, const smtp::MessageSource& message) {
  const auto count = envelope.recipients.size();
  while (auto cached = sessions.take(domain)) {
    // RSET probes a session that waited: one the server closed meanwhile is dropped before any
    // of this message went out. A failure after that is inside the transaction, where the
    // server may have kept the message: 451 4.4.2, as for a new session, never a second send.
    auto alive = co_await cached->client->reset();
    if (!alive || !alive->positive()) continue;
    auto sent = co_await cached->client->send(envelope, message);
    SessionEnd end;
    end.transaction = true;
    end.dsn = cached->dsn;
    if (!sent) {
      end.result.mail = smtp::Reply{451, "4.4.2",
                                    "lost connection with " + cached->mta +
                                        " while sending the message: " + sent.error().message};
      co_return replies_of(end, count, cached->mta);
    }
    end.result = std::move(*sent);
    auto replies = replies_of(end, count, cached->mta);
    if (reusable(end.result)) sessions.put(domain, std::move(*cached));
    co_return replies;
  }
  auto route = co_await dns::route(resolver, domain);
  if (!route) {
    std::vector<RecipientReply> out(count);
    for (auto& r : out)
      r.reply = dns_failure_reply(route.error(), domain);
    co_return out;
  }
  smtp::Reply last = no_contact("no mail exchanger for " + domain + " could be reached");
  std::size_t tried = 0;
  for (const auto& destination : *route) {
    for (const auto& address : destination.addresses) {
      const auto mta = destination.host + "[" + address.to_string() + "]";
      if (!settings.internal_addresses && is_internal(address)) {
        last = {550, "5.4.4", "mail exchanger " + mta + " is an internal address"};
        continue;
      }
      if (tried++ >= settings.max_addresses) break;
      auto end = co_await try_address(settings, destination.host, address, settings.starttls,
                                      envelope, message);
      if (end.tls_failed) {
        spdlog::info("relay: TLS with {} failed ({}); trying again without TLS", mta,
                     end.failure.text);
        end = co_await try_address(settings, destination.host, address, false, envelope, message);
      }
      if (end.transaction) {
        auto replies = replies_of(end, count, mta);
        if (end.client) sessions.put(domain, {std::move(end.client), mta, end.dsn, 0});
        co_return replies;
      }
      spdlog::info("relay: {} for {}: {} {}", mta, domain, end.failure.code, end.failure.text);
      last = end.failure;
    }
  }
  std::vector<RecipientReply> out(count);
  for (auto& r : out)
    r.reply = last;
  co_return out;
}

}  // namespace tessera::relay
