#include "metrics/metrics.hpp"

#include <prometheus/family.h>

namespace tessera::metrics {
namespace {

constexpr std::array<std::string_view, kConnectionResults> kResultLabels = {
    "completed",  "peer_closed",  "timeout", "error",
    "tls_failed", "proxy_failed", "limited", "drained"};

}  // namespace

std::shared_ptr<prometheus::Registry> shared_registry() {
  static const auto instance = std::make_shared<prometheus::Registry>();
  return instance;
}

prometheus::Registry& registry() {
  return *shared_registry();
}

std::string_view version() {
  return TESSERA_VERSION;
}

void set_build_info(std::string_view service, prometheus::Registry& target) {
  prometheus::BuildGauge()
      .Name("tessera_build_info")
      .Help("Always 1; labels name the service and the version running")
      .Register(target)
      .Add({{"service", std::string(service)}, {"version", std::string(version())}})
      .Set(1);
}

std::string_view result_label(ConnectionResult result) {
  return kResultLabels[static_cast<std::size_t>(result)];
}

Connections::Connections(std::string_view listener, prometheus::Registry& target) {
  // Registry's default Merge behaviour hands back the existing family, so every listener (and
  // every Connections for one listener) shares the two families.
  const std::string name(listener);
  active_ = &prometheus::BuildGauge()
                 .Name("tessera_connections_active")
                 .Help("Sessions open now, per listener")
                 .Register(target)
                 .Add({{"listener", name}});
  auto& total = prometheus::BuildCounter()
                    .Name("tessera_connections_total")
                    .Help("Connections ended, per listener and how they ended")
                    .Register(target);
  for (std::size_t i = 0; i < kConnectionResults; ++i) {
    total_[i] = &total.Add({{"listener", name}, {"result", std::string(kResultLabels[i])}});
  }
}

void Connections::opened() {
  active_->Increment();
}

void Connections::closed(ConnectionResult result) {
  active_->Decrement();
  total_[static_cast<std::size_t>(result)]->Increment();
}

void Connections::refused(ConnectionResult result) {
  total_[static_cast<std::size_t>(result)]->Increment();
}

double Connections::total(ConnectionResult result) const {
  return total_[static_cast<std::size_t>(result)]->Value();
}

}  // namespace tessera::metrics
