// Trace fields (RFC 5321 §4.4): what smtp-in puts in front of every message it delivers and the
// relay in front of what it sends out, and what they read back from a header to find loops (§6.3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/command.hpp"
#include "smtp/server.hpp"

namespace tessera::smtp {

// The "with" protocol of Received (RFC 3848 §2, RFC 6531 §3.7.3): SMTP after HELO, ESMTP after
// EHLO, LMTP; "S" with TLS, "A" once authenticated; UTF8SMTP / UTF8LMTP under SMTPUTF8.
std::string with_protocol(const SessionInfo& session, bool utf8, bool authenticated);

// RFC 5322 §3.3 date-time in UTC: "Tue, 01 Dec 2026 09:30:00 +0000".
std::string rfc5322_date(std::int64_t unix_ms);

struct ReceivedFields {
  std::string hostname;     // our name ("by")
  std::string id;           // the transaction id ("queued as")
  std::string for_address;  // the one recipient, if there is exactly one; else empty
  std::int64_t unix_ms = 0;
  bool authenticated = false;
  std::string protocol;  // "with" as the caller names it (Inbound.Deliver); empty = derived
};

// "Received: from helo ([192.0.2.1])\r\n\tby mx (Tessera) with ESMTPS id X\r\n\t(using ...)\r\n
// \tfor <a@b>; date\r\n". The client's address as an address literal (§4.1.3).
std::string received_field(const SessionInfo& session, const MailFrom& mail,
                           const ReceivedFields& fields);
// "Return-Path: <a@b>\r\n" (§4.4: the reverse-path; "<>" for a bounce).
std::string return_path_field(const Path& reverse_path);
std::string delivered_to_field(std::string_view address);

// What the message's own header says about where it has been.
struct TraceSeen {
  int received = 0;                       // Received fields (hop count)
  std::vector<std::string> delivered_to;  // Delivered-To values, lower case, trimmed
};
// Scans the header block at the start of `message` (up to its empty line, or all of `message`).
TraceSeen scan_trace(std::string_view message);

}  // namespace tessera::smtp
