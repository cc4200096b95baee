#include "delivery_metrics.hpp"

#include <prometheus/counter.h>

#include "metrics/metrics.hpp"

namespace tessera::smtpin {
namespace {

prometheus::Family<prometheus::Counter>& recipients() {
  static auto& family = prometheus::BuildCounter()
                            .Name("tessera_smtp_recipients_total")
                            .Help("Recipients by listener and result (RCPT and after the data)")
                            .Register(metrics::registry());
  return family;
}

prometheus::Family<prometheus::Counter>& bytes() {
  static auto& family = prometheus::BuildCounter()
                            .Name("tessera_smtp_received_bytes_total")
                            .Help("Bytes of the messages stored, by listener")
                            .Register(metrics::registry());
  return family;
}

std::string_view rcpt_result(const smtp::Reply& reply) {
  if (reply.positive()) return "accepted";
  if (reply.transient()) return "deferred";
  if (reply.enhanced == "5.1.1") return "unknown_user";
  if (reply.enhanced == "5.7.1") return "relay_denied";
  if (reply.enhanced == "5.2.2") return "over_quota";
  return "refused";
}

}  // namespace

void count_rcpt(std::string_view listener, const smtp::Reply& reply) {
  recipients()
      .Add({{"listener", std::string(listener)}, {"result", std::string(rcpt_result(reply))}})
      .Increment();
}

void count_outcome(std::string_view listener, const smtp::Reply& outcome, std::uint64_t size) {
  const std::string_view result = outcome.positive()    ? "delivered"
                                  : outcome.transient() ? "deferred_after_data"
                                                        : "rejected";
  recipients()
      .Add({{"listener", std::string(listener)}, {"result", std::string(result)}})
      .Increment();
  if (outcome.positive())
    bytes().Add({{"listener", std::string(listener)}}).Increment(static_cast<double>(size));
}

}  // namespace tessera::smtpin
