#include "smtp/dsn.hpp"

#include "crypto/random.hpp"
#include "smtp/trace.hpp"

namespace tessera::smtp {
namespace {

std::string_view action_name(DsnAction action) {
  switch (action) {
    case DsnAction::failed:
      return "failed";
    case DsnAction::delayed:
      return "delayed";
    case DsnAction::delivered:
      return "delivered";
    case DsnAction::relayed:
      return "relayed";
  }
  return "failed";
}

bool any(const DsnReport& r, DsnAction action) {
  for (const auto& recipient : r.recipients)
    if (recipient.action == action) return true;
  return false;
}

std::string subject(const DsnReport& r) {
  if (any(r, DsnAction::failed)) return "Undelivered Mail Returned to Sender";
  if (any(r, DsnAction::delayed)) return "Delayed Mail (still being retried)";
  return "Successful Mail Delivery Report";
}

// The part people read (RFC 3464 §2: the first part of multipart/report).
std::string human_text(const DsnReport& r) {
  std::string text = "This is the mail system at host " + r.reporting_mta + ".\r\n\r\n";
  if (any(r, DsnAction::failed))
    text += "Your message could not be delivered to one or more recipients.\r\n";
  if (any(r, DsnAction::delayed))
    text +=
        "Your message has not been delivered yet to some recipients; the mail system is "
        "still trying.\r\n";
  if (any(r, DsnAction::delivered))
    text += "Your message was delivered to the recipients below, as you asked.\r\n";
  if (any(r, DsnAction::relayed))
    text +=
        "Your message was sent on to the recipients' mail systems below, as you asked; they "
        "send no further notice of delivery.\r\n";
  text += "\r\n";
  for (const auto& recipient : r.recipients) {
    text += "<" + recipient.final_recipient + ">: " + std::string(action_name(recipient.action));
    if (!recipient.diagnostic.empty()) {
      text += ", ";
      if (!recipient.remote_mta.empty()) text += recipient.remote_mta + " said: ";
      text += recipient.diagnostic;
    }
    text += "\r\n";
  }
  return text;
}

// The machine-readable part (RFC 3464 §2.2 per-message, §2.3 per-recipient fields).
std::string delivery_status(const DsnReport& r) {
  std::string s = "Reporting-MTA: dns; " + r.reporting_mta + "\r\n";
  if (!r.envelope_id.empty()) s += "Original-Envelope-Id: " + r.envelope_id + "\r\n";
  if (r.arrival_unix_ms != 0) s += "Arrival-Date: " + rfc5322_date(r.arrival_unix_ms) + "\r\n";
  for (const auto& recipient : r.recipients) {
    s += "\r\n";
    if (!recipient.original_recipient.empty())
      s += "Original-Recipient: " + recipient.original_recipient + "\r\n";
    s += "Final-Recipient: rfc822; " + recipient.final_recipient + "\r\n";
    s += "Action: " + std::string(action_name(recipient.action)) + "\r\n";
    s += "Status: " + recipient.status + "\r\n";
    if (!recipient.remote_mta.empty()) s += "Remote-MTA: dns; " + recipient.remote_mta + "\r\n";
    if (!recipient.diagnostic.empty())
      s += "Diagnostic-Code: smtp; " + recipient.diagnostic + "\r\n";
    if (recipient.last_attempt_unix_ms != 0)
      s += "Last-Attempt-Date: " + rfc5322_date(recipient.last_attempt_unix_ms) + "\r\n";
    if (recipient.will_retry_until_unix_ms != 0)
      s += "Will-Retry-Until: " + rfc5322_date(recipient.will_retry_until_unix_ms) + "\r\n";
  }
  return s;
}

}  // namespace

std::string build_dsn(const DsnReport& r) {
  const std::string boundary = "=_tessera_" + crypto::random_token(12);
  std::string m;
  m += "From: Mail Delivery System <MAILER-DAEMON@" + r.reporting_mta + ">\r\n";
  m += "To: <" + r.to + ">\r\n";
  m += "Subject: " + subject(r) + "\r\n";
  m += "Date: " + rfc5322_date(r.now_unix_ms) + "\r\n";
  m += "Message-ID: <" + r.message_id + ">\r\n";
  m += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 §5: no vacation replies to this
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary +
       "\"\r\n\r\n";
  m += "This is a MIME-encapsulated message.\r\n\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + human_text(r);
  m += "\r\n--" + boundary + "\r\nContent-Type: message/delivery-status\r\n\r\n" +
       delivery_status(r);
  m += "\r\n--" + boundary + "\r\nContent-Type: " +
       std::string(r.returned_full ? "message/rfc822" : "text/rfc822-headers") + "\r\n\r\n";
  m += r.returned;
  if (!r.returned.empty() && !r.returned.ends_with("\r\n")) m += "\r\n";
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace tessera::smtp
