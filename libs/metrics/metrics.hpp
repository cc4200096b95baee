// Prometheus metrics for a service process: one process-wide registry, the metrics every
// service has (build info, connections per listener), and the HTTP endpoint Prometheus scrapes
// (design.md §6 "Prometheus metrics"). The registry exists whether or not an Endpoint serves
// it, so code counts unconditionally and `metrics.listen` empty simply means nobody scrapes.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "base/result.hpp"

namespace prometheus {
class Exposer;
}

namespace tessera::metrics {

// The registry /metrics serves. Families added here from anywhere in the process are scraped.
prometheus::Registry& registry();
std::shared_ptr<prometheus::Registry> shared_registry();

// The project version compiled in ("0.1.0").
std::string_view version();

// Sets tessera_build_info{service="<service>",version="<version()>"} 1.
void set_build_info(std::string_view service, prometheus::Registry& target = registry());

// How a connection ended: the `result` label of tessera_connections_total. A fixed set keeps
// the label's cardinality bounded.
enum class ConnectionResult {
  completed,     // the session ended as the protocol intends (LOGOUT, QUIT)
  peer_closed,   // the client went away mid-session
  timeout,       // a read or write deadline passed
  error,         // I/O or protocol failure
  tls_failed,    // TLS handshake failed
  proxy_failed,  // PROXY v2 header missing or invalid, or peer not trusted
  limited,       // refused by a connection limit before the session began
  drained,       // closed by a graceful drain at its deadline
};
inline constexpr std::size_t kConnectionResults = 8;
std::string_view result_label(ConnectionResult result);

// The connection metrics of one listener ("imaps", "submission"):
//   tessera_connections_active{listener}        gauge
//   tessera_connections_total{listener,result}  counter, every result present from 0
// Thread-safe; cheap to copy around by reference. Two objects for one listener share series.
class Connections {
 public:
  explicit Connections(std::string_view listener, prometheus::Registry& target = registry());

  void opened();                          // a session began: active + 1
  void closed(ConnectionResult result);   // it ended: active - 1, total{result} + 1
  void refused(ConnectionResult result);  // turned away before it began: total{result} + 1

  // Opens on construction and closes on destruction with the result last set (`error` unless
  // set), so no early return in a session coroutine can leave the gauge too high.
  class Session {
   public:
    explicit Session(Connections& owner) : owner_(&owner) { owner_->opened(); }
    Session(Session&& other) noexcept : owner_(other.owner_), result_(other.result_) {
      other.owner_ = nullptr;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session& operator=(Session&&) = delete;
    ~Session() {
      if (owner_ != nullptr) owner_->closed(result_);
    }
    void set_result(ConnectionResult result) { result_ = result; }

   private:
    Connections* owner_;
    ConnectionResult result_ = ConnectionResult::error;
  };
  Session track() { return Session(*this); }

  double active() const { return active_->Value(); }
  double total(ConnectionResult result) const;

 private:
  prometheus::Gauge* active_;
  std::array<prometheus::Counter*, kConnectionResults> total_{};
};

// The HTTP server Prometheus scrapes at /metrics. Stops serving when destroyed.
class Endpoint {
 public:
  // `listen` is "host:port" as in metrics.listen (port 0 picks a free port). Failure is one
  // line (metrics.listen error code): "cannot serve metrics on 127.0.0.1:17100: address in
  // use (change metrics.listen)".
  static Result<std::unique_ptr<Endpoint>> start(
      std::string_view listen, std::shared_ptr<prometheus::Registry> source = shared_registry());
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // The port actually bound (useful after asking for port 0).
  std::uint16_t port() const { return port_; }

 private:
  Endpoint(std::unique_ptr<prometheus::Exposer> exposer,
           std::shared_ptr<prometheus::Registry> source, std::uint16_t port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> source_;  // the exposer only holds a weak_ptr
  std::uint16_t port_;
};

}  // namespace tessera::metrics
