// Listener: accepts connections on one endpoint and runs one coroutine per connection, after
// the checks every protocol service needs: PROXY protocol v2 from trusted balancers, connection
// limits per client address and in total, implicit TLS; plus graceful drain on shutdown
// (design.md §6). The protocol only sees a ready Connection.
//
// Per connection, in order:
//   1. proxy_protocol: a peer outside proxy_trusted is closed and logged (as Dovecot's
//      haproxy_trusted_networks does); a trusted peer must send a valid PROXY v2 header within
//      handshake_timeout. PROXY → its source address is the client; LOCAL (the balancer's own
//      health check) → the real peer is.
//   2. limiter: no Permit for the client address → busy_reply is written (plain listeners
//      only) and the connection closed.
//   3. implicit TLS: handshake within handshake_timeout.
//   4. handler(Connection) runs in its own coroutine on its own strand.
//
// Threading: pass bind the io_context's executor (not a strand): the accept loop runs on a
// strand of its own and every session on another, so sessions spread over the io_context's
// threads. stop(), drain() and active() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "net/cidr.hpp"
#include "net/connection_limiter.hpp"
#include "net/deadline.hpp"
#include "net/stream.hpp"
#include "net/tls_context.hpp"

namespace tessera::net {

// What a protocol handler gets: a ready stream and who is on the other end.
struct Connection {
  Stream stream;
  tcp::endpoint client;  // the client: the PROXY source when proxied, else the TCP peer
  tcp::endpoint local;   // our end of the TCP connection
  tcp::endpoint peer;    // the TCP peer (the balancer when proxied)
  Permit permit;         // the connection slot; released when the Connection is destroyed
};

using ConnectionHandler = std::function<awaitable<void>(Connection)>;

struct ListenerOptions {
  // The configuration key of this endpoint, named in errors and logs ("listen.imaps").
  std::string config_key = "listen";
  // Set for implicit TLS (IMAPS 993, POP3S 995, submissions 465 per RFC 8314).
  std::shared_ptr<TlsContext> implicit_tls;
  // Expect a PROXY protocol v2 header from every connection; only from these peers.
  bool proxy_protocol = false;
  CidrSet proxy_trusted;
  // Shared by the listeners of a service so 143 and 993 count together. Null = no limits.
  std::shared_ptr<ConnectionLimiter> limiter;
  // Sent to a connection refused by the limiter, e.g. "* BYE Too many connections\r\n".
  std::string busy_reply;
  // Deadline for the PROXY header and for the implicit TLS handshake, each.
  Clock::duration handshake_timeout = std::chrono::seconds(10);
  // After drain's deadline has closed the sessions left, how long to wait for them to end.
  Clock::duration drain_close_grace = std::chrono::seconds(2);
  int backlog = asio::socket_base::max_listen_connections;
};

class Listener {
 public:
  // Opens, binds (SO_REUSEADDR) and listens. Error "net.listen", one line, e.g.
  //   cannot listen on 127.0.0.1:10993: Address already in use (another process has the
  //   port; change listen.imaps)
  static Result<Listener> bind(asio::any_io_executor executor, const tcp::endpoint& endpoint,
                               ListenerOptions options);

  Listener(Listener&&) noexcept = default;
  Listener& operator=(Listener&& other) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();  // stops accepting

  // Accepts until stop() (or the Listener's destruction); each connection runs `handler` in
  // its own coroutine. `handler` is kept alive until its session ends, so a lambda coroutine
  // may use its captures. Sessions may outlive the Listener.
  awaitable<void> run(ConnectionHandler handler);

  // Stops accepting: the listening socket is closed (on the listener's strand, right after
  // this returns) and run() returns. Live sessions go on.
  void stop();

  // Connections accepted and not yet ended (including ones still in PROXY/TLS setup).
  std::size_t active() const;

  // stop(), then wait until every session has ended or `deadline` has passed; then close the
  // sessions left (their reads and writes fail, so their coroutines end) and wait up to
  // drain_close_grace for them to finish.
  awaitable<void> drain(Clock::time_point deadline);

  // The bound endpoint (with the real port when bound to port 0).
  tcp::endpoint local_endpoint() const { return local_; }

  struct State;  // shared with the session coroutines

 private:
  Listener(std::shared_ptr<State> state, tcp::endpoint local)
      : state_(std::move(state)), local_(local) {}

  std::shared_ptr<State> state_;  // null when moved from
  tcp::endpoint local_;
};

}  // namespace tessera::net
