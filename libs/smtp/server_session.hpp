// The engine's session (server.hpp), internal to libs/smtp: server.cpp has the loop, the
// greeting, EHLO, the small commands and the replies; server_transaction.cpp MAIL, RCPT, DATA
// and BDAT; server_auth.cpp STARTTLS and AUTH.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "net/line_reader.hpp"
#include "smtp/server.hpp"

namespace tessera::smtp::detail {

class Session {
 public:
  Session(net::Connection connection, const ServerSettings& settings, Handler& handler)
      : connection_(std::move(connection)),
        settings_(settings),
        handler_(handler),
        reader_(connection_.stream,
                {.max_line_bytes = settings.max_line, .read_timeout = settings.command_timeout}) {
    info_.dialect = settings.dialect;
    info_.client = connection_.client;
    info_.session_id = new_transaction_id();
    if (connection_.stream.is_tls()) {  // implicit TLS (submissions, RFC 8314 §3.3)
      info_.tls = true;
      info_.tls_protocol = connection_.stream.tls_protocol();
      info_.tls_cipher = connection_.stream.tls_cipher();
    }
  }

  awaitable<metrics::ConnectionResult> run();

 private:
  enum class Next { read, close };

  bool lmtp() const { return settings_.dialect == Dialect::lmtp; }
  Extensions extensions() const {
    return {.max_size = settings_.max_message,
            .eight_bit = info_.esmtp,
            .smtputf8 = info_.esmtp,
            .dsn = info_.esmtp,
            .auth = info_.esmtp && !handler_.auth_mechanisms(info_).empty()};
  }

  awaitable<Next> dispatch(const CommandLine& command);
  awaitable<Next> hello(const CommandLine& command);
  awaitable<Next> mail(const CommandLine& command);
  awaitable<Next> rcpt(const CommandLine& command);
  awaitable<Next> data(const CommandLine& command);
  awaitable<Next> bdat(const CommandLine& command);
  awaitable<Next> starttls(const CommandLine& command);
  awaitable<Next> auth(const CommandLine& command);
  // One SASL response: the initial one if given, else the answer to a 334 challenge
  // (base64-decoded); nullopt when the exchange ended, with `next` saying how.
  awaitable<std::optional<std::string>> sasl_response(std::optional<std::string_view> initial,
                                                      std::string_view challenge, Next& next);
  awaitable<Next> deliver();
  // Reads the DATA body into the transaction.
  enum class DataEnd { complete, too_large, no_space, lost };
  awaitable<DataEnd> read_data();

  // Queues a reply (sent when the client has nothing more pipelined, RFC 2920 §3.1); counts
  // errors and ends the session past the limit.
  Next reply(const Reply& r);
  awaitable<bool> pause_after_error();
  awaitable<bool> flush();
  void reset_transaction();
  bool in_transaction() const { return transaction_ != nullptr; }

  net::Connection connection_;
  const ServerSettings& settings_;
  Handler& handler_;
  net::LineReader reader_;
  SessionInfo info_;
  std::unique_ptr<Transaction> transaction_;
  std::string pending_;
  int errors_ = 0;
  int commands_without_mail_ = 0;
  int transactions_ = 0;
  bool bdat_failed_ = false;  // a BDAT of this transaction was refused: the rest are skipped
  bool delay_due_ = false;    // the last reply was an error past errors_before_delay
};

}  // namespace tessera::smtp::detail
