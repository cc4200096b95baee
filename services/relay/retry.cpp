#include "retry.hpp"

#include <algorithm>

namespace tessera::relay {

std::int64_t next_attempt_ms(const RetryPolicy& policy, std::uint32_t attempts,
                             std::int64_t now_ms) {
  const auto shift = std::min<std::uint32_t>(attempts == 0 ? 0 : attempts - 1, 20);
  const auto first = policy.first_retry.count();
  const auto delay = std::min(first << shift, policy.max_retry.count());
  return now_ms + std::max<std::int64_t>(delay, 0);
}

bool expired(const RetryPolicy& policy, std::int64_t created_ms, std::int64_t now_ms) {
  return now_ms - created_ms >= policy.lifetime.count();
}

bool delay_warning_due(const RetryPolicy& policy, const store::v1::QueueRecipient& recipient,
                       std::int64_t created_ms, std::int64_t now_ms) {
  if (policy.delay_warning.count() == 0 || !recipient.notify_delay() || recipient.notify_never() ||
      recipient.delay_warned())
    return false;
  return now_ms - created_ms >= policy.delay_warning.count();
}

store::v1::DeliveryOutcome outcome_of(const smtp::Reply& reply) {
  if (reply.code >= 200 && reply.code < 300) return store::v1::DELIVERY_OUTCOME_DELIVERED;
  if (reply.permanent()) return store::v1::DELIVERY_OUTCOME_FAILED;
  return store::v1::DELIVERY_OUTCOME_DEFERRED;  // 4yz, and a 3yz where none belongs
}

std::string reply_text(const smtp::Reply& reply) {
  std::string out = std::to_string(reply.code);
  if (!reply.enhanced.empty()) out += " " + reply.enhanced;
  if (!reply.text.empty()) out += " ";
  for (char c : reply.text)
    out += c == '\n' ? ' ' : c;
  return out;
}

smtp::Reply expiry_reply(const smtp::Reply& last) {
  smtp::Reply reply = last;
  if (reply.code == 0) reply = {451, "4.4.7", "Delivery time expired"};
  if (reply.enhanced.empty()) reply.enhanced = "4.4.7";
  reply.text +=
      reply.text.empty() ? "message expired in the queue" : " (message expired in the queue)";
  return reply;
}

}  // namespace tessera::relay
