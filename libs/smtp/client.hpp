// The SMTP/LMTP client engine (RFC 5321, RFC 2033): greeting, EHLO/LHLO with the HELO fallback,
// STARTTLS (RFC 3207), one mail transaction at a time with PIPELINING (RFC 2920), CHUNKING
// (RFC 3030), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461) and
// enhanced status codes (RFC 2034), with the client timeouts of §4.5.3.2. The relay's outbound
// delivery and the test tools stand on it; which host, which TLS policy and what a reply means
// for the queue are theirs.
//
// Errors as values: whatever the server answers is a Reply (a 550 is a result, not a failure);
// an Error means the connection is unusable (net.* from the transport, smtp.bad_reply and
// smtp.reply_too_long for a server that does not speak SMTP) or the call was out of sequence
// (smtp.client_sequence, smtp.bad_command). Memory per client is bounded by the reply limits and
// the chunk size, whatever the server sends.
//
// Not thread-safe; one Client per connection, used from the Stream's executor. Not movable (its
// LineReader points at its Stream): keep it in a local or a unique_ptr.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "net/line_reader.hpp"
#include "net/stream.hpp"
#include "smtp/command.hpp"
#include "smtp/reply.hpp"
#include "smtp/server.hpp"
#include "smtp/spool.hpp"

namespace tessera::smtp {

// RFC 5321 §4.5.3.2: how long the client waits for each reply (and may take for each write).
struct ClientTimeouts {
  net::Clock::duration greeting = std::chrono::minutes(5);           // §4.5.3.2.1
  net::Clock::duration mail = std::chrono::minutes(5);               // §4.5.3.2.2
  net::Clock::duration rcpt = std::chrono::minutes(5);               // §4.5.3.2.3
  net::Clock::duration data_initiation = std::chrono::minutes(2);    // §4.5.3.2.4
  net::Clock::duration data_block = std::chrono::minutes(3);         // §4.5.3.2.5
  net::Clock::duration data_termination = std::chrono::minutes(10);  // §4.5.3.2.6
  // EHLO, STARTTLS, RSET, QUIT: §4.5.3.2 names none; 5 minutes as for MAIL.
  net::Clock::duration command = std::chrono::minutes(5);
  net::Clock::duration tls_handshake = std::chrono::minutes(1);
};

struct ClientSettings {
  ClientTimeouts timeouts;
  // §4.5.3.1.5 allows 512 octets per reply line; a hostile server gets smtp.reply_too_long past
  // these (an EHLO reply has some 15 lines).
  std::size_t max_reply_line = 2048;
  std::size_t max_reply_lines = 128;
  // BDAT (RFC 3030) instead of DATA when the server offers CHUNKING.
  bool prefer_chunking = false;
  // The piece of the message read from its source and written at a time (and the BDAT chunk).
  std::size_t chunk_size = std::size_t{256} << 10;
};

// The EHLO/LHLO reply's extensions (§4.1.1.1): keywords in upper case with their parameters.
class Capabilities {
 public:
  // From a 250 reply to EHLO/LHLO: its first line is the server's name, each other line one
  // extension ("SIZE 52428800", "AUTH PLAIN LOGIN").
  static Capabilities parse(const Reply& ehlo);

  bool has(std::string_view keyword) const;  // case-insensitive
  // The parameters after the keyword ("PLAIN LOGIN"); nullopt when it was not offered.
  std::optional<std::string_view> parameters(std::string_view keyword) const;
  // RFC 1870 §4: SIZE's limit in octets; 0 for none (no SIZE, or SIZE without a number).
  std::uint64_t size_limit() const;
  bool empty() const { return entries_.empty(); }

 private:
  std::map<std::string, std::string, std::less<>> entries_;
};

// Assembles one reply from its lines (§4.2.1: "250-" lines continue it, "250 " or "250" ends
// it, every line has the same code). Pure: the client feeds it what it reads.
class ReplyParser {
 public:
  // `enhanced`: take a leading RFC 3463 code off every line (the server said ENHANCEDSTATUSCODES,
  // RFC 2034 §3); its class must be the reply's (a "250 5.1.1" keeps its text as is).
  ReplyParser(std::size_t max_lines, bool enhanced) : max_lines_(max_lines), enhanced_(enhanced) {}

  // One line without its CRLF: the Reply once the last line came, nullopt while more follow.
  // Errors: smtp.bad_reply (no code, codes differ between lines), smtp.reply_too_long (more than
  // max_lines lines).
  Result<std::optional<Reply>> feed(std::string_view line);

 private:
  std::size_t max_lines_;
  bool enhanced_;
  std::size_t lines_ = 0;
  Reply reply_;
};

// One transaction's envelope, in the command parsers' own types. Parameters the server did not
// offer are left out when sending (SIZE, BODY, SMTPUTF8, DSN's RET/ENVID/NOTIFY/ORCPT).
struct Envelope {
  MailFrom mail;
  std::vector<RcptTo> recipients;
};

// The message, read piece by piece so that a 50 MB message in a Spool never sits whole in
// memory: read(offset, n) returns up to n bytes (fewer only at the end). What it reads from must
// outlive the send().
struct MessageSource {
  std::uint64_t size = 0;
  std::function<Result<std::string>(std::size_t offset, std::size_t n)> read;

  static MessageSource of(std::string_view bytes);
  static MessageSource of(const Spool& spool);
};

// What the server answered, for the caller to map onto each recipient.
struct SendResult {
  Reply mail;
  // One per recipient of the envelope, in order; empty when MAIL was refused and nothing was
  // pipelined behind it.
  std::vector<Reply> recipients;
  // The end of the data: SMTP one reply; LMTP one per accepted recipient, in their order
  // (RFC 2033 §4.2). One reply for all when DATA or a BDAT chunk was refused. Empty when no data
  // was sent (MAIL or every RCPT refused, §3.3).
  std::vector<Reply> data;
  // The client refused before sending anything (`mail` says why, as a local 5xx): the message
  // needs SMTPUTF8 or BINARYMIME the server lacks, or exceeds its SIZE. Postfix does the same.
  bool local = false;

  // The reply that decides recipient i: MAIL's if it failed, else its RCPT's if that failed,
  // else its final reply.
  const Reply& outcome(std::size_t recipient) const;
};

class Client {
 public:
  explicit Client(net::Stream stream, ClientSettings settings = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // §3.1 the greeting: 220, or 554 for "no service here" (then quit()).
  awaitable<Result<Reply>> read_greeting();

  // EHLO (LHLO for LMTP, RFC 2033 §4.1) and its extensions. SMTP only: a 5xx to EHLO is
  // answered with HELO, for servers that predate ESMTP (§3.2, §4.1.4); the session then has no
  // extensions. Returns the last reply.
  awaitable<Result<Reply>> hello(std::string name, Dialect dialect = Dialect::smtp);

  // STARTTLS, and on 220 the handshake (see net::Stream::client_handshake for `verify`).
  // RFC 3207 §4.2: the extensions are forgotten; call hello() again. Another reply is returned
  // as is (the caller's policy decides whether plaintext will do). Handshake failure: net.tls.
  awaitable<Result<Reply>> starttls(std::shared_ptr<asio::ssl::context> context,
                                    std::string server_name, bool verify);

  // One transaction: MAIL, RCPT for each recipient (all in one write under PIPELINING), then the
  // data (DATA dot-stuffed, or BDAT chunks) unless every recipient was refused, when it sends
  // RSET instead (§3.3). Fails with smtp.client_sequence before hello(), smtp.bad_command for
  // a line break in an address or parameter, smtp.message_source when `message` fails or ends
  // early (the connection is closed then, before the end of data: nothing is delivered).
  awaitable<Result<SendResult>> send(const Envelope& envelope, MessageSource message);
  awaitable<Result<SendResult>> send(const Envelope& envelope, std::string_view message);

  // RSET (§4.1.1.5): ends a transaction the caller abandons.
  awaitable<Result<Reply>> reset();
  // QUIT (§4.1.1.10), then closes the connection (TLS close_notify first).
  awaitable<Result<Reply>> quit();

  const Capabilities& capabilities() const { return capabilities_; }
  bool has(std::string_view keyword) const { return capabilities_.has(keyword); }
  std::uint64_t size_limit() const { return capabilities_.size_limit(); }
  bool esmtp() const { return esmtp_; }  // EHLO/LHLO was accepted (not HELO)
  net::Stream& stream() { return stream_; }

 private:
  awaitable<Result<Reply>> read_reply(net::Clock::duration timeout);
  awaitable<Result<Reply>> command(std::string line, net::Clock::duration timeout);
  awaitable<Status> write(std::string_view bytes, net::Clock::duration timeout);
  std::optional<Reply> refusal(const Envelope& envelope, std::uint64_t size) const;
  awaitable<Status> send_envelope(const Envelope& envelope, std::uint64_t size, SendResult& result);
  // `taken`: how many recipients were accepted (LMTP's count of final replies).
  awaitable<Status> send_data(const MessageSource& message, std::size_t taken, SendResult& result);
  awaitable<Status> send_chunks(const MessageSource& message, std::size_t taken,
                                SendResult& result);
  awaitable<Status> read_final(std::size_t taken, SendResult& result);
  bool lmtp() const { return dialect_ == Dialect::lmtp; }

  net::Stream stream_;
  ClientSettings settings_;
  net::LineReader reader_;
  Dialect dialect_ = Dialect::smtp;
  Capabilities capabilities_;
  bool greeted_ = false;  // hello() succeeded since the connection (or TLS) began
  bool esmtp_ = false;
};

// The command lines send() writes, without CRLF: only the parameters `offered` has.
std::string format_mail(const MailFrom& mail, const Capabilities& offered, std::uint64_t size,
                        bool smtputf8);
std::string format_rcpt(const RcptTo& rcpt, const Capabilities& offered);

// DATA transparency for a message read in pieces (§4.5.2): doubles a leading '.', sends every
// line end as CRLF (§2.3.8: a bare LF goes out as CRLF, so no receiver has to guess), and ends
// with the last line's CRLF and ".". For a CRLF message, the bytes of dot_stuff().
class DotStuffer {
 public:
  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);

 private:
  bool line_start_ = true;
  bool after_cr_ = false;
};

}  // namespace tessera::smtp
