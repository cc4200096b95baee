// The load generator's commands and what they share: options, opening a logged-in session, and
// running N client coroutines on one thread (no thread per connection).
#pragma once

#include <functional>
#include <string>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "imap_client.hpp"

namespace tessera::bench {

struct Options {
  tcp::endpoint server{asio::ip::make_address_v4("127.0.0.1"), 143};
  std::string user_pattern = "bench{}@bench.test";  // "{}" becomes first_user + n % users
  long users = 1;
  long first_user = 1;
  std::string password;
  int clients = 1;
  double seconds = 10;                                 // measuring time of login/fetch/append
  long count = 1'000'000'000;                          // most operations per client
  Clock::duration timeout = std::chrono::seconds(30);  // one command, reply included
  int sources = 1;  // > 1: connect from 127.0.0.1 .. 127.0.0.<sources>
  std::string mailbox = "INBOX";
  long messages = 200;               // seed: messages per user
  long window = 100;                 // fetch: messages per FETCH
  std::string items = "(ENVELOPE)";  // fetch: the FETCH items
  std::size_t size = 0;              // seed/append: message size, 0 = varied (messages.hpp)
  long connections = 10'000;         // idle
  int concurrency = 32;              // idle: sessions being opened at once
  double hold = 600;                 // idle: longest time connections stay in IDLE
  double setup_seconds = 1800;       // idle: longest time to open them
  double reidle = 1500;              // idle: DONE and IDLE again after this long (RFC 2177)

  std::string user(long n) const;
  asio::ip::address source(long n) const;
};

// --key value pairs after the command name; unknown keys and non-loopback hosts are refused.
Result<Options> parse_options(int argc, char** argv);

// Connects client `n`, logs in as user(n) and, with `select`, SELECTs the mailbox; the
// SELECT reply (EXISTS) is returned in `selected`.
awaitable<Status> open_session(Client& client, const Options& options, long n, bool select,
                               Reply* selected = nullptr);

// Runs `body(c)` for c in [0, clients) as coroutines on `io` (one thread) until all end.
void run_clients(asio::io_context& io, int clients,
                 const std::function<awaitable<void>(int)>& body);

// Clients that log in before they measure wait here, so that the measured window opens when
// the last one is ready (a Tessera login is an Argon2id verification: slow on purpose).
class StartLine {
 public:
  StartLine(asio::io_context& io, int clients, double seconds);
  awaitable<void> ready();  // arrive and wait for the others (at most ten minutes)
  void drop();              // a client that could not set up
  Clock::time_point start() const { return start_; }
  Clock::time_point stop() const { return stop_; }

 private:
  void release();
  int pending_;
  double seconds_;
  asio::steady_timer timer_;
  bool released_ = false;
  Clock::time_point start_;
  Clock::time_point stop_;
};

double seconds_since(Clock::time_point start);

// Each prints one JSON line and returns the exit status.
int run_login(const Options& options);
int run_fetch(const Options& options);
int run_append(const Options& options);
int run_seed(const Options& options);
int run_idle(const Options& options);

}  // namespace tessera::bench
