// The outbound delivery workers (design.md §3 step 5): lease due entries from the store's queue,
// deliver each recipient domain's share to its MX (remote.hpp), record the per-recipient results
// (Complete), and tell the envelope sender what happened (RFC 3464 DSNs: bounces, delay
// warnings, "relayed" notices). Every replica of the relay runs them; the store's leases keep
// two replicas off one entry, and an entry whose worker died becomes due again when its lease
// expires, so delivery is at least once and never lost.
//
// Everything runs on one strand: a lease loop, and one coroutine per leased entry, at most
// `concurrency` at a time and at most `per_destination` sessions to one recipient domain
// (RFC 5321 §4.5.4.1 asks clients not to flood one destination).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "base/asio.hpp"
#include "dns/resolver.hpp"
#include "remote.hpp"
#include "reports.hpp"
#include "retry.hpp"
#include "session_cache.hpp"
#include "store_client.hpp"

namespace tessera::relay {

struct DeliverySettings {
  std::size_t concurrency = 20;     // entries being delivered at once
  std::size_t per_destination = 5;  // sessions at once to one recipient domain
  std::chrono::milliseconds lease{std::chrono::minutes(30)};  // longer than any one attempt
  std::chrono::milliseconds poll{1000};  // idle: ask the queue again after this long
  std::chrono::milliseconds store_timeout{30000};
  // A session waits this long open for the next message to its domain (0 = one per message);
  // it carries at most session_max_uses messages.
  std::chrono::milliseconds session_idle{2000};
  std::size_t session_max_uses = 100;
  std::string worker_id;  // "host:pid", in the queue's history
  RetryPolicy retry;
  RemoteSettings remote;
  dns::ResolverSettings dns;
  ReportSender reports;  // clients, our name, spool for bodies and notices
};

class Gate;

class Delivery {
 public:
  // Starts the lease loop on `io`.
  static Result<std::unique_ptr<Delivery>> start(asio::io_context& io, DeliverySettings settings);
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;
  ~Delivery();

  // From any thread: something was queued, look now instead of at the next poll.
  void wake();
  // From any thread: lease nothing more (the drain); attempts under way end with the process,
  // and their leases expire into another worker's hands.
  void stop();

 private:
  Delivery(asio::io_context& io, DeliverySettings settings);
  awaitable<void> run();
  awaitable<void> deliver(store::v1::LeasedEntry leased);
  void finished();
  void wake_here();
  std::shared_ptr<Gate> gate(const std::string& domain);

  DeliverySettings settings_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer sleep_;
  std::unique_ptr<dns::Resolver> resolver_;
  SessionCache sessions_;
  std::map<std::string, std::shared_ptr<Gate>> gates_;
  std::size_t active_ = 0;
  bool woken_ = false;
  bool stopping_ = false;
};

}  // namespace tessera::relay
