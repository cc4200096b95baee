#include "delivery.hpp"

#include <boost/asio/experimental/channel.hpp>
#include <spdlog/spdlog.h>

#include "base/ascii.hpp"
#include "entry.hpp"
#include "rpc/client.hpp"

namespace tessera::relay {

namespace v1 = store::v1;

// At most `limit` holders at once; acquire() waits, first come first served. A channel with
// `limit` slots: a send takes a slot (and waits while all are taken), a receive frees one.
class Gate {
 public:
  Gate(const asio::any_io_executor& executor, std::size_t limit) : slots_(executor, limit) {}
  awaitable<void> acquire() { co_await slots_.async_send(error_code{}, use_nothrow); }
  void release() {
    slots_.try_receive([](error_code) {});
  }
  std::size_t users = 0;  // holders and waiters: the gate is dropped at 0

 private:
  asio::experimental::channel<void(error_code)> slots_;
};

namespace {

// Holds one slot of a domain's gate for a scope (no co_await in a destructor: release only).
class GateHold {
 public:
  explicit GateHold(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  GateHold(const GateHold&) = delete;
  GateHold& operator=(const GateHold&) = delete;
  ~GateHold() {
    gate_->release();
    --gate_->users;
  }

 private:
  std::shared_ptr<Gate> gate_;
};

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return ascii_lower(at == std::string::npos ? std::string() : address.substr(at + 1));
}

}  // namespace

Delivery::Delivery(asio::io_context& io, DeliverySettings settings)
    : settings_(std::move(settings)),
      strand_(asio::make_strand(io)),
      sleep_(strand_),
      sessions_(strand_, settings_.session_idle, settings_.per_destination,
                settings_.session_max_uses) {}

Delivery::~Delivery() = default;

Result<std::unique_ptr<Delivery>> Delivery::start(asio::io_context& io, DeliverySettings settings) {
  std::unique_ptr<Delivery> delivery(new Delivery(io, std::move(settings)));
  auto resolver = dns::Resolver::create(delivery->strand_, delivery->settings_.dns);
  if (!resolver) return resolver.error();
  delivery->resolver_ = std::move(*resolver);
  asio::co_spawn(delivery->strand_, delivery->run(), asio::detached);
  return delivery;
}

void Delivery::wake() {
  asio::post(strand_, [this] { wake_here(); });
}

void Delivery::stop() {
  asio::post(strand_, [this] {
    stopping_ = true;
    wake_here();
  });
}

void Delivery::wake_here() {
  woken_ = true;
  sleep_.cancel();
}

void Delivery::finished() {
  --active_;
  wake_here();
}

std::shared_ptr<Gate> Delivery::gate(const std::string& domain) {
  for (auto it = gates_.begin(); it != gates_.end();)  // drop the idle ones first
    it = it->second->users == 0 ? gates_.erase(it) : std::next(it);
  auto& gate = gates_[domain];
  if (!gate) gate = std::make_shared<Gate>(strand_, settings_.per_destination);
  ++gate->users;
  return gate;
}

awaitable<void> Delivery::run() {
  auto retry_after_error = settings_.poll;
  while (!stopping_) {
    auto wait = settings_.poll;
    // A Lease is a store write: under a backlog, ask for a quarter of the slots at once rather
    // than for each one as it frees.
    const auto batch = std::max<std::size_t>(1, settings_.concurrency / 4);
    if (active_ + batch <= settings_.concurrency) {
      v1::LeaseRequest request;
      request.set_worker_id(settings_.worker_id);
      request.set_max_entries(
          static_cast<std::uint32_t>(std::min<std::size_t>(settings_.concurrency - active_, 100)));
      request.set_visibility_timeout_ms(static_cast<std::uint32_t>(settings_.lease.count()));
      rpc::CallOptions options;
      options.timeout = settings_.store_timeout;
      auto leased =
          co_await rpc::unary(settings_.reports.clients->queue->async(),
                              &v1::Queue::Stub::async::Lease, std::move(request), options);
      if (!leased) {
        spdlog::warn("relay: Queue.Lease failed: {}", leased.error().message);
        wait = retry_after_error;
        retry_after_error = std::min(retry_after_error * 2, std::chrono::milliseconds(30000));
      } else {
        retry_after_error = settings_.poll;
        for (auto& entry : *leased->mutable_entries()) {
          ++active_;
          asio::co_spawn(strand_, deliver(std::move(entry)), [this](std::exception_ptr e) {
            if (e) spdlog::error("relay: a delivery attempt ended with an exception");
            finished();
          });
        }
        if (leased->entries_size() > 0) continue;  // more may be due
        if (leased->next_due_unix_ms() != 0) {
          const auto until_due = std::chrono::milliseconds(
              std::max<std::int64_t>(leased->next_due_unix_ms() - now_ms(), 0));
          wait = std::min(wait, until_due);
        }
      }
    }
    if (woken_ || stopping_) {
      woken_ = false;
      continue;
    }
    sleep_.expires_after(wait);
    co_await sleep_.async_wait(use_nothrow);
    woken_ = false;
  }
  spdlog::info("relay: delivery stopped leasing ({} attempt(s) under way)", active_);
}

awaitable<void> Delivery::deliver(v1::LeasedEntry leased) {
  const auto& entry = leased.entry();
  auto body = co_await read_body(settings_, leased);
  if (!body) {
    spdlog::warn("relay: entry {}: cannot read the body: {}", entry.entry_id(),
                 body.error().message);
    const auto when = now_ms() + settings_.retry.first_retry.count();
    co_await retry_later(settings_, leased, when, "body: " + body.error().message);
    co_return;
  }
  const LeaseKeeper lease(settings_, leased, strand_);
  const auto source = smtp::MessageSource::of(body->spool);
  const auto mail = mail_of(entry, body->eight_bit);
  // Pending recipients by domain: one SMTP transaction per domain (RFC 5321 §3.3).
  std::map<std::string, std::vector<int>> domains;
  std::vector<Tried> tried;
  for (int i = 0; i < entry.header().recipients_size(); ++i) {
    const auto& recipient = entry.header().recipients(i);
    if (recipient.state() != v1::RECIPIENT_STATE_PENDING) continue;
    domains[domain_of(recipient.address())].push_back(i);
  }
  for (const auto& [domain, indices] : domains) {
    smtp::Envelope envelope;
    envelope.mail = mail;
    std::vector<int> sent;
    for (int i : indices) {
      if (auto rcpt = rcpt_of(entry.header().recipients(i))) {
        envelope.recipients.push_back(std::move(*rcpt));
        sent.push_back(i);
      } else {
        Tried bad;
        bad.index = i;
        bad.reply.reply = smtp::Reply{553, "5.1.3", "Bad recipient address syntax"};
        tried.push_back(std::move(bad));
      }
    }
    if (sent.empty()) continue;
    auto held = gate(domain);
    co_await held->acquire();
    const GateHold hold(held);
    if (lease.lost()) co_return;  // another worker has the entry now: it delivers
    auto replies =
        co_await deliver_domain(*resolver_, sessions_, settings_.remote, domain, envelope, source);
    for (std::size_t k = 0; k < sent.size(); ++k) {
      Tried done;
      done.index = sent[k];
      done.reply = std::move(replies[k]);
      tried.push_back(std::move(done));
    }
  }
  if (lease.lost()) co_return;
  co_await finish(settings_, leased, *body, tried);
}

}  // namespace tessera::relay
