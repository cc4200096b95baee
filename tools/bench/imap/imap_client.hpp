// One IMAP client connection of the load generator (tools/bench/imap): connect, send a tagged
// command, read the reply up to its tagged line (literals included), every step bounded by a
// deadline and every read by a size. Replies are counted rather than kept: the generator only
// needs the status, how many FETCH responses came and the tagged line for error reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/asio.hpp"
#include "base/result.hpp"

namespace tessera::bench {

using Clock = std::chrono::steady_clock;

struct Reply {
  std::string status;       // OK, NO or BAD (RFC 9051 §7.1)
  std::string line;         // the tagged line without CRLF, for error reports
  std::size_t fetches = 0;  // "* n FETCH" responses (§7.5.2)
  std::size_t exists = 0;   // the last "* n EXISTS" (§7.4.1)
  bool ok() const { return status == "OK"; }
};

class Client {
 public:
  explicit Client(asio::any_io_executor executor);

  // Connects to `server` from `source` (unspecified: the kernel picks) and reads the greeting,
  // which must be "* OK".
  awaitable<Status> connect(const tcp::endpoint& server, const asio::ip::address& source,
                            Clock::duration timeout);

  // Sends "<tag> <text>" and reads until the tagged reply.
  awaitable<Result<Reply>> command(std::string_view text, Clock::duration timeout);

  // LOGIN with both arguments as quoted strings (§6.2.3).
  awaitable<Result<Reply>> login(std::string_view user, std::string_view password,
                                 Clock::duration timeout);

  // APPEND with a synchronising literal (§6.3.12): the message goes only after "+".
  awaitable<Result<Reply>> append(std::string_view mailbox, std::string_view message,
                                  Clock::duration timeout);

  // IDLE (RFC 2177) up to the server's "+"; idle_done sends DONE and reads the tagged reply.
  awaitable<Status> idle(Clock::duration timeout);
  awaitable<Result<Reply>> idle_done(Clock::duration timeout);

  void close();

 private:
  awaitable<Status> write(std::string_view data, Clock::time_point deadline);
  awaitable<Status> read_more(Clock::time_point deadline);
  awaitable<Result<std::string>> read_line(Clock::time_point deadline);
  awaitable<Result<Reply>> read_reply(const std::string& tag, Clock::time_point deadline,
                                      bool until_continuation = false);
  std::string next_tag();
  Error closed(std::string_view what) const;

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string buffer_;  // received bytes from `consumed_` on are not yet read
  std::size_t consumed_ = 0;
  std::size_t tags_ = 0;
  std::string idle_tag_;
  std::string bye_;  // the last "* BYE" line, named when the server then closes
};

// `reply` as a Status: an I/O error as it is, NO/BAD as an error quoting the tagged line.
Status expect_ok(const Result<Reply>& reply, std::string_view command);

}  // namespace tessera::bench
