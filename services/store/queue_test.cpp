#include <catch2/catch.hpp>

#include "blobs.hpp"
#include "keys.hpp"
#include "queue_ops.hpp"
#include "test_fixture.hpp"

using namespace tessera::store;
using testing::Fixture;

namespace {

v1::EnqueueHeader header(std::vector<std::string> recipients, const std::string& key = "") {
  v1::EnqueueHeader h;
  h.set_envelope_sender("ann@example.org");
  for (const auto& r : recipients)
    h.add_recipients()->set_address(r);
  h.set_idempotency_key(key);
  return h;
}

v1::LeaseReply lease(QueueOps& queue, std::uint32_t visibility_ms = 60000) {
  v1::LeaseRequest request;
  request.set_worker_id("relay-0/1");
  request.set_max_entries(10);
  request.set_visibility_timeout_ms(visibility_ms);
  return *queue.lease(request);
}

v1::RecipientResult result(const std::string& address, v1::DeliveryOutcome outcome) {
  v1::RecipientResult r;
  r.set_address(address);
  r.set_outcome(outcome);
  r.set_reply(outcome == v1::DELIVERY_OUTCOME_DELIVERED ? "250 ok" : "451 later");
  return r;
}

}  // namespace

TEST_CASE("enqueue, lease, read, complete: the entry and its body are gone at the end") {
  Fixture f;
  QueueOps queue(f.context, 0);
  const std::string body = testing::message("out");
  auto h = header({"x@remote.net", "y@remote.net"});
  h.set_declared_size(body.size());
  auto queued = queue.enqueue(h, body);
  REQUIRE(queued);
  auto leased = lease(queue);
  REQUIRE(leased.entries_size() == 1);
  const auto token = leased.entries(0).lease_token();
  CHECK(leased.entries(0).entry().leased_by() == "relay-0/1");
  // A second worker sees nothing while the lease holds.
  CHECK(lease(queue).entries_size() == 0);
  v1::ReadBodyRequest read;
  read.set_entry_id(queued->entry_id());
  read.set_lease_token(token);
  CHECK(*queue.read_body(read) == body);

  v1::CompleteRequest done;
  done.set_entry_id(queued->entry_id());
  done.set_lease_token(token);
  *done.add_results() = result("x@remote.net", v1::DELIVERY_OUTCOME_DELIVERED);
  *done.add_results() = result("y@remote.net", v1::DELIVERY_OUTCOME_DEFERRED);
  auto first = queue.complete(done);
  REQUIRE(first);
  CHECK_FALSE(first->finished());
  v1::InspectRequest inspect;
  inspect.set_entry_id(queued->entry_id());
  auto entry = *queue.inspect(inspect);
  CHECK(entry.header().recipients(0).state() == v1::RECIPIENT_STATE_DELIVERED);
  CHECK(entry.header().recipients(1).state() == v1::RECIPIENT_STATE_PENDING);
  CHECK(entry.next_attempt_unix_ms() == f.now + 5 * 60 * 1000);  // first back-off step
  CHECK(entry.history_size() == 1);
  CHECK(lease(queue).entries_size() == 0);  // not due yet

  f.now += 5 * 60 * 1000;
  leased = lease(queue);
  REQUIRE(leased.entries_size() == 1);
  done.set_lease_token(leased.entries(0).lease_token());
  done.clear_results();
  *done.add_results() = result("y@remote.net", v1::DELIVERY_OUTCOME_FAILED);
  auto second = queue.complete(done);
  REQUIRE(second);
  CHECK(second->finished());
  CHECK(queue.inspect(inspect).error().code == "rpc.NOT_FOUND");
  CHECK_FALSE(*f.db->get(Family::blobs, keys::blob(blob_id(body))));
}

TEST_CASE("an expired lease makes the entry due again and voids the old token") {
  Fixture f;
  QueueOps queue(f.context, 0);
  auto h = header({"x@remote.net"});
  h.set_declared_size(4);
  auto queued = queue.enqueue(h, "body");
  REQUIRE(queued);
  const auto old = lease(queue, 1000).entries(0).lease_token();
  f.now += 1001;
  auto again = lease(queue);
  REQUIRE(again.entries_size() == 1);
  CHECK(again.entries(0).lease_token() != old);
  v1::CompleteRequest stale;
  stale.set_entry_id(queued->entry_id());
  stale.set_lease_token(old);
  CHECK(queue.complete(stale).error().code == "rpc.FAILED_PRECONDITION");
  v1::RetryAtRequest retry;
  retry.set_entry_id(queued->entry_id());
  retry.set_next_attempt_unix_ms(f.now + 60000);
  CHECK(queue.retry_at(retry).error().code == "rpc.FAILED_PRECONDITION");  // leased, no token
  retry.set_lease_token(again.entries(0).lease_token());
  retry.set_reason("no MX reachable");
  REQUIRE(queue.retry_at(retry));
  v1::InspectRequest inspect;
  inspect.set_entry_id(queued->entry_id());
  const auto entry = *queue.inspect(inspect);
  CHECK(entry.history(0).note() == "lease expired");
  CHECK(entry.history(1).note() == "no MX reachable");
  CHECK(entry.next_attempt_unix_ms() == f.now + 60000);
}

TEST_CASE("a renewed lease outlasts its first length; a stale token cannot renew") {
  Fixture f;
  QueueOps queue(f.context, 0);
  auto h = header({"x@remote.net"});
  h.set_declared_size(4);
  REQUIRE(queue.enqueue(h, "body"));
  const auto leased = lease(queue, 1000).entries(0);
  v1::RenewRequest renew;
  renew.set_entry_id(leased.entry().entry_id());
  renew.set_lease_token(leased.lease_token());
  renew.set_visibility_timeout_ms(5000);
  f.now += 900;
  auto renewed = queue.renew(renew);
  REQUIRE(renewed);
  CHECK(renewed->lease_expires_unix_ms() == f.now + 5000);
  f.now += 2000;  // past the first lease: still held
  CHECK(lease(queue).entries_size() == 0);
  f.now += 3001;  // past the renewed one: due again, the old token is void
  const auto again = lease(queue);
  REQUIRE(again.entries_size() == 1);
  CHECK(queue.renew(renew).error().code == "rpc.FAILED_PRECONDITION");
}

TEST_CASE("idempotent enqueue, body references, size limit, order and survival of a reopen") {
  Fixture f;
  f.add_account(1);
  const auto sent = f.role(1, v1::MAILBOX_ROLE_SENT);
  const auto body = testing::message("saved");
  auto stored = f.append(1, sent, body);
  REQUIRE(stored);
  QueueOps queue(f.context, body.size() * 2);
  auto h = header({"x@remote.net"}, "submit-1");
  h.mutable_body_ref()->set_account_id(1);
  h.mutable_body_ref()->set_mailbox_id(sent);
  h.mutable_body_ref()->set_uid(stored->uid());
  auto first = queue.enqueue(h, "");
  REQUIRE(first);
  auto again = queue.enqueue(h, "");
  REQUIRE(again);
  CHECK(again->duplicate());
  CHECK(again->entry_id() == first->entry_id());
  tessera::storedb::v1::BlobRefs refs;
  refs.ParseFromString(**f.db->get(Family::blobs, keys::blob_refs(blob_id(body))));
  CHECK(refs.refs() == 2);  // the Sent copy and the queue entry share one body

  h.set_idempotency_key("submit-2");
  f.now += 1;
  REQUIRE(queue.enqueue(h, ""));
  h.set_idempotency_key("submit-3");
  CHECK(queue.enqueue(h, "").error().code == "rpc.RESOURCE_EXHAUSTED");
  h.mutable_body_ref()->set_uid(99);
  CHECK(queue.enqueue(h, "").error().code == "rpc.NOT_FOUND");
  CHECK(queue.enqueue(header({}), "").error().code == "rpc.INVALID_ARGUMENT");

  f.db.reset();
  f.db = Db::open(f.dir).value();
  Context reopened{*f.db, f.locks, f.notifier, [&] { return f.now; }};
  QueueOps after(reopened, 0);
  v1::ListQueueRequest list;
  list.set_page_size(1);
  auto page = *after.list(list);
  REQUIRE(page.entries_size() == 1);
  CHECK(page.entries(0).entry_id() == first->entry_id());
  list.set_page_token(page.next_page_token());
  page = *after.list(list);
  REQUIRE(page.entries_size() == 1);
  CHECK(page.entries(0).entry_id() == first->entry_id() + 1);
  list.set_recipient_domain("elsewhere.org");
  list.clear_page_token();
  CHECK(after.list(list)->entries_size() == 0);
}

TEST_CASE("a delay warning once given stays recorded on the recipient (the relay warns once)") {
  Fixture f;
  QueueOps queue(f.context, 0);
  const std::string body = testing::message("slow");
  auto h = header({"z@remote.net"});
  h.set_declared_size(body.size());
  auto queued = queue.enqueue(h, body);
  REQUIRE(queued);
  v1::CompleteRequest done;
  done.set_entry_id(queued->entry_id());
  v1::InspectRequest inspect;
  inspect.set_entry_id(queued->entry_id());
  for (const bool warned : {true, false}) {  // warned at the first attempt, not at the second
    auto leased = lease(queue);
    REQUIRE(leased.entries_size() == 1);
    done.set_lease_token(leased.entries(0).lease_token());
    done.clear_results();
    auto deferred = result("z@remote.net", v1::DELIVERY_OUTCOME_DEFERRED);
    deferred.set_delay_warned(warned);
    *done.add_results() = deferred;
    REQUIRE(queue.complete(done));
    CHECK(queue.inspect(inspect)->header().recipients(0).delay_warned());
    f.now = queue.inspect(inspect)->next_attempt_unix_ms();
  }
}
