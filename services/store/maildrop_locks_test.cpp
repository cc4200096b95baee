#include "maildrop_locks.hpp"

#include <catch2/catch.hpp>

#include "test_fixture.hpp"

namespace tessera::store {
namespace {

using testing::Fixture;

v1::LockMaildropRequest lock_request(std::uint64_t account, const std::string& holder,
                                     std::uint32_t ttl_ms = 0) {
  v1::LockMaildropRequest request;
  request.set_account_id(account);
  request.set_holder(holder);
  request.set_ttl_ms(ttl_ms);
  return request;
}

v1::RenewMaildropLockRequest renew_request(std::uint64_t account, const std::string& token,
                                           std::uint32_t ttl_ms = 0) {
  v1::RenewMaildropLockRequest request;
  request.set_account_id(account);
  request.set_lock_token(token);
  request.set_ttl_ms(ttl_ms);
  return request;
}

v1::UnlockMaildropRequest unlock_request(std::uint64_t account, const std::string& token) {
  v1::UnlockMaildropRequest request;
  request.set_account_id(account);
  request.set_lock_token(token);
  return request;
}

// A store with account 1 and a lock table on its clock.
struct LockFixture : Fixture {
  MaildropLocks locks{context};
  LockFixture() { add_account(1); }

  v1::LockMaildropReply take(const std::string& holder, std::uint32_t ttl_ms = 0) {
    auto got = locks.lock(lock_request(1, holder, ttl_ms));
    if (!got) throw std::runtime_error(got.error().message);
    return *got;
  }
  // The error code of a renewal, or "OK".
  std::string renew_code(std::uint64_t account, const std::string& token) {
    auto got = locks.renew(renew_request(account, token));
    return got ? "OK" : got.error().code;
  }
};

TEST_CASE("maildrop lock: one holder per account, the second is refused naming the first") {
  Fixture f;
  f.add_account(1);
  f.add_account(2);
  MaildropLocks locks(f.context);
  auto first = locks.lock(lock_request(1, "pop3-0:1:a"));
  REQUIRE(first);
  CHECK(!first->lock_token().empty());
  CHECK(first->expires_unix_ms() == f.now + MaildropLocks::kDefaultTtlMs);
  auto second = locks.lock(lock_request(1, "pop3-1:7:b"));
  REQUIRE(!second);
  CHECK(second.error().code == "rpc.FAILED_PRECONDITION");
  INFO("got: " << second.error().message);
  CHECK(second.error().message.find("pop3-0:1:a") != std::string::npos);
  CHECK(locks.lock(lock_request(2, "pop3-1:7:b")));  // another account is free
}

TEST_CASE("maildrop lock: bad requests and unknown accounts") {
  Fixture f;
  f.add_account(1);
  MaildropLocks locks(f.context);
  struct Case {
    const char* name;
    v1::LockMaildropRequest request;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"unknown account", lock_request(9, "pop3-0:1:a"), "rpc.NOT_FOUND"},
      {"empty holder", lock_request(1, ""), "rpc.INVALID_ARGUMENT"},
      {"long holder", lock_request(1, std::string(257, 'h')), "rpc.INVALID_ARGUMENT"},
      {"ttl over an hour", lock_request(1, "h", MaildropLocks::kMaxTtlMs + 1),
       "rpc.INVALID_ARGUMENT"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto got = locks.lock(c.request);
    REQUIRE(!got);
    CHECK(got.error().code == c.want);
  }
  CHECK(locks.size() == 0);
}

TEST_CASE("maildrop lock: renew extends it, expiry lets another session in") {
  LockFixture f;
  const auto held = f.take("pop3-0:1:a", 1000);
  f.now += 900;
  auto renewed = f.locks.renew(renew_request(1, held.lock_token(), 1000));
  REQUIRE(renewed);
  CHECK(renewed->lock_token() == held.lock_token());
  CHECK(renewed->expires_unix_ms() == f.now + 1000);
  f.now += 900;  // past the first expiry, within the renewed one
  CHECK(!f.locks.lock(lock_request(1, "pop3-1:2:b")));
  f.now += 100;  // exactly at expiry: lapsed
  CHECK(f.take("pop3-1:2:b").lock_token() != held.lock_token());
  CHECK(f.locks.size() == 1);
}

TEST_CASE("maildrop lock: a stale token neither renews nor unlocks the new holder's lock") {
  LockFixture f;
  const auto old = f.take("pop3-0:1:a", 1000);
  f.now += 1000;
  CHECK(f.renew_code(1, old.lock_token()) == "rpc.FAILED_PRECONDITION");  // expired
  const auto fresh = f.take("pop3-1:2:b");
  CHECK(f.renew_code(1, old.lock_token()) == "rpc.FAILED_PRECONDITION");  // superseded
  CHECK(f.renew_code(1, "") == "rpc.FAILED_PRECONDITION");
  CHECK(f.renew_code(2, fresh.lock_token()) == "rpc.FAILED_PRECONDITION");  // other account
  auto unlocked = f.locks.unlock(unlock_request(1, old.lock_token()));
  REQUIRE(unlocked);
  CHECK(!unlocked->released());
  CHECK(!f.locks.lock(lock_request(1, "pop3-2:3:c")));  // the new holder still holds it
  CHECK(f.renew_code(1, fresh.lock_token()) == "OK");
}

TEST_CASE("maildrop unlock: releases once, then is idempotent") {
  LockFixture f;
  const auto held = f.take("pop3-0:1:a");
  auto first = f.locks.unlock(unlock_request(1, held.lock_token()));
  REQUIRE(first);
  CHECK(first->released());
  CHECK(f.locks.size() == 0);
  auto again = f.locks.unlock(unlock_request(1, held.lock_token()));
  REQUIRE(again);
  CHECK(!again->released());
  CHECK(f.locks.unlock(unlock_request(7, "never-issued")));  // unknown account and token: OK
  CHECK(f.renew_code(1, held.lock_token()) == "rpc.FAILED_PRECONDITION");
  f.take("pop3-1:2:b");
}

TEST_CASE("maildrop locks: expired entries are swept as the table grows") {
  Fixture f;
  for (std::uint64_t id = 1; id <= 1025; ++id)
    f.add_account(id);
  MaildropLocks locks(f.context);
  for (std::uint64_t id = 1; id <= 1024; ++id)
    REQUIRE(locks.lock(lock_request(id, "h", 1000)));
  CHECK(locks.size() == 1024);
  f.now += 1000;  // all lapsed; the next new lock sweeps them
  REQUIRE(locks.lock(lock_request(1025, "h")));
  CHECK(locks.size() == 1);
}

}  // namespace
}  // namespace tessera::store
