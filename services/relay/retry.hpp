// The delivery workers' rules for time and outcomes, pure so they are unit-tested: what a reply
// means for a recipient (RFC 5321 §4.2.1: 2yz done, 4yz try again, 5yz never), when a deferred
// recipient is retried (exponential back-off, as RFC 5321 §4.5.4.1 asks: "at least 30 minutes"
// between tries of one destination is its advice, but a first retry after minutes is what users
// expect and what Postfix and Exim do), when the queue gives up (§4.5.4.1: "at least 4-5 days")
// and when the sender is told that mail is late (RFC 3461 §4.1 NOTIFY=DELAY).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "smtp/reply.hpp"
#include "tessera/store/v1/queue.pb.h"

namespace tessera::relay {

struct RetryPolicy {
  std::chrono::milliseconds first_retry{std::chrono::minutes(5)};
  std::chrono::milliseconds max_retry{std::chrono::hours(1)};
  std::chrono::milliseconds lifetime{std::chrono::hours(24 * 5)};
  std::chrono::milliseconds delay_warning{std::chrono::hours(4)};  // 0 = never
};

// When the next attempt is due after `attempts` attempts (>= 1) ending at `now_ms`: first_retry,
// doubled after each attempt, at most max_retry.
std::int64_t next_attempt_ms(const RetryPolicy& policy, std::uint32_t attempts,
                             std::int64_t now_ms);

// The entry has been queued longer than the lifetime: deferred recipients fail now.
bool expired(const RetryPolicy& policy, std::int64_t created_ms, std::int64_t now_ms);

// A deferred recipient whose sender asked for delay notices (NOTIFY=DELAY, which the relay sets
// when no NOTIFY was given) and has not had one, once the entry is delay_warning old.
bool delay_warning_due(const RetryPolicy& policy, const store::v1::QueueRecipient& recipient,
                       std::int64_t created_ms, std::int64_t now_ms);

store::v1::DeliveryOutcome outcome_of(const smtp::Reply& reply);

// "451 4.7.1 greylisted": the reply as the queue, the DSN's Diagnostic-Code and logs show it
// (several lines joined with spaces).
std::string reply_text(const smtp::Reply& reply);

// A deferred recipient at expiry: its last transient reply becomes final. RFC 3464 §2.3.4 wants
// the status of the failure; the last one seen is the best account of why (Postfix does the
// same), with 4.4.7 "delivery time expired" when there was none.
smtp::Reply expiry_reply(const smtp::Reply& last);

}  // namespace tessera::relay
