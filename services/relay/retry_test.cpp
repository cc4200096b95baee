// The delivery workers' retry rules and what a failed MX lookup means for a recipient.
#include "retry.hpp"

#include <catch2/catch.hpp>

#include "remote.hpp"

namespace tessera::relay {
namespace {

namespace v1 = store::v1;
using std::chrono::hours;
using std::chrono::minutes;

TEST_CASE("retries back off from the first wait, doubling, to the longest") {
  const RetryPolicy policy;  // 5 minutes, doubling, at most an hour
  CHECK(next_attempt_ms(policy, 1, 1000) == 1000 + 5 * 60 * 1000);
  CHECK(next_attempt_ms(policy, 2, 0) == 10 * 60 * 1000);
  CHECK(next_attempt_ms(policy, 4, 0) == 40 * 60 * 1000);
  CHECK(next_attempt_ms(policy, 5, 0) == 60 * 60 * 1000);
  CHECK(next_attempt_ms(policy, 400, 0) == 60 * 60 * 1000);  // no overflow
}

TEST_CASE("an entry expires at the end of its lifetime, five days by default") {
  const RetryPolicy policy;
  const std::int64_t day = 24 * 3600 * 1000;
  CHECK_FALSE(expired(policy, 0, 5 * day - 1));
  CHECK(expired(policy, 0, 5 * day));
}

TEST_CASE("the delay warning goes once, to senders who asked, after four hours") {
  const RetryPolicy policy;
  v1::QueueRecipient recipient;
  recipient.set_notify_delay(true);
  const std::int64_t four_hours = 4 * 3600 * 1000;
  CHECK_FALSE(delay_warning_due(policy, recipient, 0, four_hours - 1));
  CHECK(delay_warning_due(policy, recipient, 0, four_hours));
  recipient.set_delay_warned(true);
  CHECK_FALSE(delay_warning_due(policy, recipient, 0, four_hours));
  recipient.set_delay_warned(false);
  recipient.set_notify_never(true);
  CHECK_FALSE(delay_warning_due(policy, recipient, 0, four_hours));
  v1::QueueRecipient no_delay;  // NOTIFY=FAILURE only
  no_delay.set_notify_failure(true);
  CHECK_FALSE(delay_warning_due(policy, no_delay, 0, four_hours));
  RetryPolicy never = policy;
  never.delay_warning = std::chrono::milliseconds(0);
  CHECK_FALSE(delay_warning_due(never, recipient, 0, 100 * four_hours));
}

TEST_CASE("replies decide a recipient: 2yz sent, 4yz again later, 5yz bounced") {
  CHECK(outcome_of({250, "2.0.0", "Ok"}) == v1::DELIVERY_OUTCOME_DELIVERED);
  CHECK(outcome_of({451, "4.7.1", "greylisted"}) == v1::DELIVERY_OUTCOME_DEFERRED);
  CHECK(outcome_of({550, "5.1.1", "no such user"}) == v1::DELIVERY_OUTCOME_FAILED);
  CHECK(outcome_of({354, "", "go ahead"}) == v1::DELIVERY_OUTCOME_DEFERRED);
  CHECK(reply_text({550, "5.1.1", "no such\nuser"}) == "550 5.1.1 no such user");
  CHECK(reply_text({421, "", ""}) == "421");
}

TEST_CASE("an expired recipient keeps its last reply's words and status") {
  const auto last = expiry_reply({451, "4.4.1", "connect to mx.example.org: refused"});
  CHECK(last.code == 451);
  CHECK(last.enhanced == "4.4.1");
  CHECK(last.text == "connect to mx.example.org: refused (message expired in the queue)");
  const auto none = expiry_reply({});
  CHECK(none.enhanced == "4.4.7");
}

TEST_CASE("a failed MX lookup: no such domain and null MX bounce, the rest waits") {
  CHECK(dns_failure_reply({"dns.not_found", "NXDOMAIN"}, "nowhere.test").code == 550);
  const auto null_mx = dns_failure_reply({"dns.null_mx", "."}, "example.com");
  CHECK(null_mx.code == 556);  // RFC 7505 §4.2
  CHECK(null_mx.enhanced == "5.1.10");
  CHECK(dns_failure_reply({"dns.temporary", "SERVFAIL"}, "example.com").code == 451);
  CHECK(dns_failure_reply({"dns.no_address", "none"}, "example.com").code == 451);
}

TEST_CASE("internal addresses: loopback, private, shared, link-local, unique local, mapped") {
  for (const char* text :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.0.1",
        "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:10.0.0.1"})
    CHECK(is_internal(asio::ip::make_address(text)));
  for (const char* text :
       {"192.0.2.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1", "::ffff:8.8.8.8"})
    CHECK_FALSE(is_internal(asio::ip::make_address(text)));
}

}  // namespace
}  // namespace tessera::relay
