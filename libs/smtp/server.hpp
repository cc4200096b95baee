// The SMTP/LMTP server engine (RFC 5321, RFC 2033): greeting, EHLO/LHLO, STARTTLS (RFC 3207),
// the MAIL/RCPT/DATA transaction with PIPELINING (RFC 2920), CHUNKING (RFC 3030), SIZE
// (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461) and enhanced status
// codes (RFC 2034, RFC 3463), with the limits and timeouts of §4.5.3. What to accept and where
// mail goes is the Handler's: smtp-in's MX and LMTP listeners and the relay's submission
// listener are this engine with different handlers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "metrics/metrics.hpp"
#include "net/deadline.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "smtp/command.hpp"
#include "smtp/reply.hpp"
#include "smtp/spool.hpp"

namespace tessera::smtp {

enum class Dialect { smtp, lmtp };

struct ServerSettings {
  Dialect dialect = Dialect::smtp;
  std::string hostname = "localhost";                   // greeting, EHLO reply, Received "by"
  std::uint64_t max_message = std::uint64_t{50} << 20;  // SIZE; 552 5.3.4 beyond
  std::size_t max_recipients = 1000;  // 452 4.5.3 beyond (§4.5.3.1.8, §4.5.3.1.10)
  std::size_t max_line = 4096;        // command line (§4.5.3.1.4's 512 plus extension parameters)
  // §4.5.3.2.7: the server waits at least 5 minutes for the next command, and for data.
  net::Clock::duration command_timeout = std::chrono::minutes(5);
  net::Clock::duration data_timeout = std::chrono::minutes(5);
  // Error replies before the connection ends with 421 (a client guessing addresses); from
  // `errors_before_delay` on, each error reply waits `error_delay` first.
  int max_errors = 20;
  int errors_before_delay = 10;
  net::Clock::duration error_delay = std::chrono::seconds(1);
  // Commands other than MAIL/RCPT/DATA/BDAT since the last MAIL (NOOP, RSET, VRFY, EHLO...
  // loops): 421 beyond.
  int max_commands_without_mail = 50;
  std::shared_ptr<net::TlsContext> tls;  // null: no STARTTLS
  // MAIL only after AUTH (submission, RFC 6409 §4.1): 530 5.7.0 before.
  bool require_auth = false;
  // AUTH only under TLS (RFC 8314 §3): not advertised before, 538 5.7.11 if tried (RFC 4954 §6).
  bool auth_needs_tls = false;
  std::string spool_directory = "/tmp";
  std::size_t spool_memory = std::size_t{1} << 20;
};

// What a handler knows of the connection.
struct SessionInfo {
  Dialect dialect = Dialect::smtp;
  tcp::endpoint client;
  std::string helo;    // the EHLO/HELO/LHLO argument
  bool esmtp = false;  // EHLO or LHLO (not HELO)
  bool tls = false;
  std::string tls_protocol;   // "TLSv1.3"
  std::string tls_cipher;     // "TLS_AES_256_GCM_SHA384"
  std::string session_id;     // random, for logs and idempotency keys
  std::string authenticated;  // the login after a successful AUTH (RFC 4954); empty before
};

// One mail transaction: from MAIL to the end of the data.
struct Transaction {
  std::string id;  // "queued as" id, also in Received (random, unique per message)
  MailFrom mail;
  std::vector<RcptTo> recipients;  // the accepted ones, in order
  Spool body;                      // the message as received (no trace fields yet)
  bool bare_lf = false;            // DATA had bare-LF line ends (stored as CRLF)
  bool chunked = false;            // came by BDAT
  int number = 0;                  // 1, 2, ... within the session
};

class Handler {
 public:
  virtual ~Handler() = default;
  // MAIL FROM accepted by the engine's syntax and sequence checks: 250 to start a transaction.
  virtual awaitable<Reply> mail(const SessionInfo& session, const MailFrom& mail) = 0;
  // RCPT TO: a 2xx reply adds the recipient to the transaction.
  virtual awaitable<Reply> rcpt(const SessionInfo& session, const Transaction& transaction,
                                const RcptTo& rcpt) = 0;
  // The message is complete. SMTP: exactly one reply, given only once the message is safe
  // (design.md §6); LMTP: one per accepted recipient, in order (RFC 2033 §4.2).
  virtual awaitable<std::vector<Reply>> deliver(const SessionInfo& session,
                                                Transaction& transaction) = 0;
  // The transaction was abandoned (RSET, EHLO, STARTTLS, QUIT, the client left).
  virtual void reset() {}
  // SMTP AUTH (RFC 4954): the SASL mechanisms to offer in this session's EHLO ("PLAIN",
  // "LOGIN"); none (the default) leaves AUTH out. Submission offers them once under TLS.
  virtual std::vector<std::string> auth_mechanisms(const SessionInfo& session);
  // Credentials from PLAIN or LOGIN: 235 2.7.0 authenticates the session as `login`; 535 5.7.8
  // or 454 4.7.0 otherwise. The default refuses.
  virtual awaitable<Reply> authenticate(const SessionInfo& session, const std::string& login,
                                        const std::string& password);
};

// A random id of 14 characters from [0-9A-Z]: "queued as" ids, session ids, Inbound ids.
std::string new_transaction_id();

// Runs one connection to its end.
awaitable<metrics::ConnectionResult> serve(net::Connection connection,
                                           const ServerSettings& settings, Handler& handler);

}  // namespace tessera::smtp
