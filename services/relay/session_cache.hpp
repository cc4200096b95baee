// SMTP sessions kept open after a transaction, for the next message to the same domain: what
// Postfix's connection cache does when a destination has a backlog. A queue of many messages to
// one domain then costs one TCP and TLS handshake per session instead of one per message
// (RFC 5321 §3.3 lets a client send any number of transactions on one session).
//
// A session waits at most `idle` for its next message, then QUIT; at most `per_domain` wait
// per domain; a session is reused at most `max_uses` times (a bound on how long one server
// gets our traffic if DNS changes). Not thread-safe: used from the delivery strand only.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/asio.hpp"
#include "smtp/client.hpp"

namespace tessera::relay {

struct CachedSession {
  std::unique_ptr<smtp::Client> client;
  std::string mta;   // "mx.example.org[192.0.2.1]"
  bool dsn = false;  // the server offered DSN
  std::size_t uses = 0;
};

class SessionCache {
 public:
  SessionCache(asio::any_io_executor executor, std::chrono::milliseconds idle,
               std::size_t per_domain, std::size_t max_uses)
      : executor_(std::move(executor)), idle_(idle), per_domain_(per_domain), max_uses_(max_uses) {}

  // The most recently used idle session to `domain`, if any.
  std::optional<CachedSession> take(const std::string& domain);
  // Keeps `session` for the next message (or ends it when it is used up or too many wait).
  void put(const std::string& domain, CachedSession session);

 private:
  struct Slot {
    explicit Slot(const asio::any_io_executor& executor) : timer(executor) {}
    CachedSession session;
    asio::steady_timer timer;
    bool taken = false;
  };
  static awaitable<void> quit(std::unique_ptr<smtp::Client> client);
  awaitable<void> expire(std::string domain, std::shared_ptr<Slot> slot);

  asio::any_io_executor executor_;
  std::chrono::milliseconds idle_;
  std::size_t per_domain_;
  std::size_t max_uses_;
  std::map<std::string, std::deque<std::shared_ptr<Slot>>> idle_sessions_;
};

}  // namespace tessera::relay
