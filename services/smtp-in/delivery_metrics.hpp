// smtp-in's counters, scraped at metrics.listen with the connection metrics every service has:
//   tessera_smtp_recipients_total{listener, result}  one per RCPT and per delivery outcome
//   tessera_smtp_received_bytes_total{listener}      bytes of messages stored
// `result`: accepted / unknown_user / relay_denied / over_quota / refused (other 5xx) /
// deferred (4xx) at RCPT; delivered / rejected / deferred_after_data after the message.
// Listeners: smtp, lmtp, inbound (gRPC). Label values are a fixed set: bounded cardinality.
#pragma once

#include <cstdint>
#include <string_view>

#include "smtp/reply.hpp"

namespace tessera::smtpin {

void count_rcpt(std::string_view listener, const smtp::Reply& reply);
void count_outcome(std::string_view listener, const smtp::Reply& outcome, std::uint64_t bytes);

}  // namespace tessera::smtpin
