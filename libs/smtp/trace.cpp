#include "smtp/trace.hpp"

#include <ctime>

#include "base/ascii.hpp"

namespace tessera::smtp {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (§4.1.3).
std::string address_literal(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6() && !address.to_v6().is_v4_mapped())
    return "[IPv6:" + address.to_string() + "]";
  if (address.is_v6())
    return "[" + asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string() + "]";
  return "[" + address.to_string() + "]";
}

}  // namespace

std::string with_protocol(const SessionInfo& session, bool utf8, bool authenticated) {
  const bool lmtp = session.dialect == Dialect::lmtp;
  std::string out;
  if (utf8) {
    out = lmtp ? "UTF8LMTP" : "UTF8SMTP";  // RFC 6531 §3.7.3: under SMTPUTF8 no "E"
  } else if (lmtp) {
    out = "LMTP";
  } else {
    // RFC 3848 §2 names plain "SMTP" only for a HELO session without TLS or AUTH; "SMTPS"
    // and "SMTPA" are not registered, so such a HELO session is reported as ESMTPS/ESMTPA.
    out = session.esmtp || session.tls || authenticated ? "ESMTP" : "SMTP";
  }
  if (session.tls) out += 'S';
  if (authenticated) out += 'A';
  return out;
}

std::string rfc5322_date(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  const auto n = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return std::string(buffer, n);
}

std::string received_field(const SessionInfo& session, const MailFrom& mail,
                           const ReceivedFields& fields) {
  std::string out = "Received: from ";
  out += session.helo.empty() ? "unknown" : session.helo;
  out += " (" + address_literal(session.client) + ")\r\n\tby " + fields.hostname +
         " (Tessera) with " +
         (fields.protocol.empty() ? with_protocol(session, mail.smtputf8, fields.authenticated)
                                  : fields.protocol) +
         " id " + fields.id + "\r\n";
  if (session.tls) {
    // The de-facto form MTAs use (Postfix, Exim): readers look for it to see the hop was
    // protected (RFC 8314 §4.3 asks that this be recorded).
    out += "\t(using " + session.tls_protocol + " with cipher " + session.tls_cipher + ")\r\n";
  }
  out += '\t';
  if (!fields.for_address.empty()) out += "for <" + fields.for_address + ">; ";
  out += rfc5322_date(fields.unix_ms) + "\r\n";
  return out;
}

std::string return_path_field(const Path& reverse_path) {
  return "Return-Path: <" + reverse_path.text() + ">\r\n";
}

std::string delivered_to_field(std::string_view address) {
  return "Delivered-To: " + std::string(address) + "\r\n";
}

TraceSeen scan_trace(std::string_view message) {
  TraceSeen seen;
  std::size_t at = 0;
  while (at < message.size()) {
    auto end = message.find('\n', at);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(at, end - at);
    at = end + 1;
    if (trim(line).empty()) break;                              // the end of the header
    if (line.front() == ' ' || line.front() == '\t') continue;  // a folded continuation
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto name = ascii_upper(trim(line.substr(0, colon)));
    if (name == "RECEIVED") ++seen.received;
    if (name == "DELIVERED-TO")
      seen.delivered_to.push_back(ascii_lower(trim(line.substr(colon + 1))));
  }
  return seen;
}

}  // namespace tessera::smtp
