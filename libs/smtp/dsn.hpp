// Delivery status notifications (RFC 3464, RFC 3461 §6): the bounce, delay warning or success
// notice a relay sends back to the envelope sender. A pure builder: the relay's delivery
// workers, and anything that refuses a recipient after accepting the message, make the report;
// it is sent with the null reverse-path, so it can never cause another bounce (RFC 5321
// §4.5.5) and carries Auto-Submitted (RFC 3834 §5).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::smtp {

// RFC 3464 §2.3.3. `relayed`: handed to a next hop that does not offer DSN (RFC 3461 §6.2.3.1),
// so no success notice will come from further on.
enum class DsnAction { failed, delayed, delivered, relayed };

// One recipient's per-recipient fields (RFC 3464 §2.3).
struct DsnRecipient {
  std::string final_recipient;     // the address, e.g. "bob@example.org"
  std::string original_recipient;  // ORCPT as given: "rfc822;Bob@Example.org"; empty if none
  DsnAction action = DsnAction::failed;
  std::string status;      // RFC 3463 code: "5.1.1", "4.4.1", "2.0.0"
  std::string remote_mta;  // the MX that answered, e.g. "mx.example.org"; empty if none
  std::string diagnostic;  // the remote reply, e.g. "550 5.1.1 no such user"; empty if none
  std::int64_t last_attempt_unix_ms = 0;
  std::int64_t will_retry_until_unix_ms = 0;  // delayed: when the message expires
};

struct DsnReport {
  std::string reporting_mta;  // our host name (also in From: MAILER-DAEMON@...)
  std::string to;             // the envelope sender the report goes to
  std::string message_id;     // Message-ID of the report, without <>
  std::string envelope_id;    // ENVID (RFC 3461 §4.4); empty if none
  std::int64_t arrival_unix_ms = 0;
  std::int64_t now_unix_ms = 0;
  std::vector<DsnRecipient> recipients;
  // The original's header (RET=HDRS, the default) or the whole message (RET=FULL): returned
  // as text/rfc822-headers or message/rfc822.
  std::string_view returned;
  bool returned_full = false;
};

// The complete report message, CRLF line ends, ready to queue with MAIL FROM:<>.
std::string build_dsn(const DsnReport& report);

}  // namespace tessera::smtp
