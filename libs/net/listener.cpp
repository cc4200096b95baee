#include "net/listener.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "net/errors.hpp"
#include "net/line_reader.hpp"
#include "net/proxy_v2.hpp"

namespace tessera::net {

struct Listener::State {
  explicit State(asio::any_io_executor ex)
      : executor(ex), strand(asio::make_strand(ex)), acceptor(strand) {}

  asio::any_io_executor executor;              // sessions run on strands of it
  asio::strand<asio::any_io_executor> strand;  // the accept loop and stop() run here
  tcp::acceptor acceptor;                      // used on `strand` only (after bind)
  ListenerOptions options;
  mutable std::mutex mutex;
  std::uint64_t next_id = 0;                                          // guarded by mutex
  std::unordered_map<std::uint64_t, std::function<void()>> sessions;  // guarded: closers
  bool closing = false;  // guarded: drain's deadline passed; close newcomers at once
};

namespace {

using State = Listener::State;

// Keeps a session counted in active() and closable by drain() from accept to its end.
class SessionEntry {
 public:
  SessionEntry(std::shared_ptr<State> state, std::function<void()> closer)
      : state_(std::move(state)) {
    std::lock_guard lock(state_->mutex);
    id_ = ++state_->next_id;
    if (state_->closing) closer();
    state_->sessions.emplace(id_, std::move(closer));
  }
  SessionEntry(SessionEntry&& other) noexcept : state_(std::move(other.state_)), id_(other.id_) {}
  SessionEntry(const SessionEntry&) = delete;
  SessionEntry& operator=(const SessionEntry&) = delete;
  SessionEntry& operator=(SessionEntry&&) = delete;
  ~SessionEntry() {
    if (!state_) return;
    std::lock_guard lock(state_->mutex);
    state_->sessions.erase(id_);
  }

 private:
  std::shared_ptr<State> state_;
  std::uint64_t id_ = 0;
};

std::string bind_hint(const error_code& ec, const std::string& key) {
  if (ec == asio::error::address_in_use) return "another process has the port; change " + key;
  if (ec == asio::error::access_denied) {
    return "ports below 1024 need root or CAP_NET_BIND_SERVICE; change " + key;
  }
  if (ec == asio::error::address_family_not_supported) {
    return "this address family is disabled on the host; change " + key;
  }
  if (ec.value() == EADDRNOTAVAIL) return "no local interface has this address; change " + key;
  return "change " + key;
}

// Closes the way a refused client can still read our last words: our FIN first, then up to
// 64 KiB / 1 s of what it was sending drained, so close() does not answer with an RST that
// would discard the reply in the client's kernel (Apache's "lingering close").
awaitable<void> linger_close(Stream& stream) {
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> sink;
  asio::steady_timer timer(stream.get_executor());
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(1);
  for (std::size_t total = 0; total < 64 * 1024 && Clock::now() < deadline;) {
    auto [order, ec, n, timer_ec] = co_await detail::race_deadline(
        stream.async_read_some(asio::buffer(sink), asio::deferred), timer, deadline - Clock::now());
    if (order[0] == 1 || ec) break;
    total += n;
  }
  stream.close();
}

// PROXY v2 (proxy-protocol.txt §2.2) from a trusted balancer: the client address, or nothing
// when the connection is to be dropped. Reads exactly the header's bytes, never the
// protocol's, by asking the parser how many it still needs.
awaitable<std::optional<tcp::endpoint>> read_proxy_header(const State& state, Stream& stream) {
  const ListenerOptions& options = state.options;
  const tcp::endpoint peer = stream.remote_endpoint();
  if (!options.proxy_trusted.contains(peer.address())) {
    spdlog::warn("{}: refused {}: not a trusted PROXY sender (add it to the trusted networks)",
                 options.config_key, endpoint_string(peer));
    co_return std::nullopt;
  }
  std::array<std::uint8_t, kProxyV2MaxHeader> header;
  std::size_t have = 0;
  asio::steady_timer timer(stream.get_executor());
  const Clock::time_point deadline = Clock::now() + options.handshake_timeout;
  for (;;) {
    const ProxyParse parsed = parse_proxy_v2(std::span(header.data(), have));
    if (parsed.status == ProxyParseStatus::ok) {
      co_return parsed.header.source.value_or(peer);
    }
    if (parsed.status == ProxyParseStatus::bad) {
      spdlog::warn("{}: refused {}: bad PROXY v2 header: {}", options.config_key,
                   endpoint_string(peer), parsed.reason);
      co_return std::nullopt;
    }
    auto [order, ec, n, timer_ec] = co_await detail::race_deadline(
        stream.async_read_some(asio::buffer(header.data() + have, parsed.needed - have),
                               asio::deferred),
        timer, deadline - Clock::now());
    if (order[0] == 1 || ec) {
      spdlog::info("{}: dropped {}: no PROXY header ({})", options.config_key,
                   endpoint_string(peer), order[0] == 1 ? "timeout" : ec.message());
      co_return std::nullopt;
    }
    have += n;
  }
}

// A connection over its limit: the protocol's busy reply, then close. Implicit-TLS
// connections are closed without one: a handshake for a refused client would spend the most
// expensive step on exactly the connections a flood consists of.
awaitable<void> refuse_busy(const State& state, Stream& stream, const tcp::endpoint& client) {
  const ListenerOptions& options = state.options;
  spdlog::info("{}: refused {}: connection limit reached", options.config_key,
               endpoint_string(client));
  if (!options.busy_reply.empty() && !options.implicit_tls) {
    Status written = co_await write_all(stream, options.busy_reply, options.handshake_timeout);
    if (!written) {
      stream.close();
      co_return;
    }
  }
  co_await linger_close(stream);
}

// One connection from accept to the end of its handler.
awaitable<void> serve(std::shared_ptr<State> state, SessionEntry entry, Stream stream,
                      ConnectionHandler handler) {
  const ListenerOptions& options = state->options;
  const tcp::endpoint peer = stream.remote_endpoint();
  tcp::endpoint client = peer;
  if (options.proxy_protocol) {
    std::optional<tcp::endpoint> proxied = co_await read_proxy_header(*state, stream);
    if (!proxied) co_return;
    client = *proxied;
  }
  Permit permit;
  if (options.limiter) {
    std::optional<Permit> granted = options.limiter->try_acquire(client.address());
    if (!granted) {
      co_await refuse_busy(*state, stream, client);
      co_return;
    }
    permit = std::move(*granted);
  }
  if (options.implicit_tls) {
    Status ready =
        co_await stream.handshake(options.implicit_tls->current(), options.handshake_timeout);
    if (!ready) {
      spdlog::debug("{}: {}: {}", options.config_key, endpoint_string(client),
                    ready.error().message);
      co_return;
    }
  }
  const tcp::endpoint local = stream.local_endpoint();
  // A named local, not a temporary in the co_await expression: GCC 12 mishandles the lifetime
  // of non-trivial temporaries there (GCC PR 99576).
  Connection connection{std::move(stream), client, local, peer, std::move(permit)};
  co_await handler(std::move(connection));
  (void)entry;  // held by this frame: the session counts in active() until it ends
}

// Completion of a session coroutine: an escaped exception is a bug in a handler; log it
// rather than let it unwind through io_context::run() and take the service down.
auto log_session_exception(std::string key) {
  return [key = std::move(key)](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("{}: session ended by exception: {}", key, e.what());
    } catch (...) {
      spdlog::error("{}: session ended by unknown exception", key);
    }
  };
}

// Polls until no session is left or the deadline passes. Polling with a growing interval
// (1 ms to 50 ms) is what Go's net/http Server.Shutdown does: simple and thread-agnostic.
awaitable<void> wait_idle(const State& state, Clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  Clock::duration interval = std::chrono::milliseconds(1);
  for (;;) {
    {
      std::lock_guard lock(state.mutex);
      if (state.sessions.empty()) co_return;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) co_return;
    timer.expires_after(std::min<Clock::duration>(interval, deadline - now));
    co_await timer.async_wait(use_nothrow);
    interval = std::min<Clock::duration>(interval * 2, std::chrono::milliseconds(50));
  }
}

// Accepts until the acceptor is closed; runs on the listener's strand.
awaitable<void> accept_loop(std::shared_ptr<State> state, ConnectionHandler handler) {
  tcp::acceptor& acceptor = state->acceptor;
  asio::steady_timer backoff(state->strand);
  while (acceptor.is_open()) {
    // Each session gets its own strand: sessions spread over the io_context's threads.
    tcp::socket socket(asio::make_strand(state->executor));
    auto [ec] = co_await acceptor.async_accept(socket, use_nothrow);
    if (!acceptor.is_open()) break;  // stop() was called while we waited
    if (ec) {
      // EMFILE and friends persist until some session ends: pause instead of spinning.
      if (ec != asio::error::connection_aborted) {
        spdlog::error("{}: accept failed: {}", state->options.config_key, ec.message());
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(use_nothrow);
      }
      continue;
    }
    error_code ignored;
    socket.set_option(asio::socket_base::keep_alive(true), ignored);  // find dead peers
    // Replies go out as soon as they are written: with Nagle, the second small write of a
    // response waits for the client's delayed ACK (40 ms per round on Linux).
    socket.set_option(tcp::no_delay(true), ignored);
    Stream stream(std::move(socket));
    SessionEntry entry(state, stream.close_handle());
    const auto executor = stream.get_executor();
    asio::co_spawn(executor, serve(state, std::move(entry), std::move(stream), handler),
                   log_session_exception(state->options.config_key));
  }
}

}  // namespace

Result<Listener> Listener::bind(asio::any_io_executor executor, const tcp::endpoint& endpoint,
                                ListenerOptions options) {
  auto state = std::make_shared<State>(executor);
  tcp::acceptor& acceptor = state->acceptor;
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(options.backlog, ec);
  tcp::endpoint local;
  if (!ec) local = acceptor.local_endpoint(ec);
  if (ec) {
    return make_error("net.listen", "cannot listen on " + endpoint_string(endpoint) + ": " +
                                        ec.message() + " (" + bind_hint(ec, options.config_key) +
                                        ")");
  }
  state->options = std::move(options);
  return Listener(std::move(state), local);
}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    if (state_) stop();
    state_ = std::move(other.state_);
    local_ = other.local_;
  }
  return *this;
}

Listener::~Listener() {
  if (state_) stop();
}

awaitable<void> Listener::run(ConnectionHandler handler) {
  // The loop runs on the listener's strand, where stop() closes the acceptor, so stop() and
  // drain() may be called from any thread. `state`, not `this`: the Listener may go first.
  auto loop = accept_loop(state_, std::move(handler));
  co_await asio::co_spawn(state_->strand, std::move(loop), asio::use_awaitable);
}

void Listener::stop() {
  asio::post(state_->strand, [state = state_] {
    error_code ignored;
    state->acceptor.close(ignored);
  });
}

std::size_t Listener::active() const {
  std::lock_guard lock(state_->mutex);
  return state_->sessions.size();
}

awaitable<void> Listener::drain(Clock::time_point deadline) {
  stop();
  const std::shared_ptr<State> state = state_;
  co_await wait_idle(*state, deadline);
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard lock(state->mutex);
    state->closing = true;
    for (const auto& [id, closer] : state->sessions)
      closers.push_back(closer);
  }
  if (closers.empty()) co_return;
  spdlog::info("{}: drain deadline passed, closing {} sessions", state->options.config_key,
               closers.size());
  for (const auto& closer : closers)
    closer();
  co_await wait_idle(*state, Clock::now() + state->options.drain_close_grace);
}

}  // namespace tessera::net
