#include <optional>

#include <catch2/catch.hpp>

#include "directory_ops.hpp"
#include "test_fixture.hpp"

using namespace tessera::store;
using testing::Fixture;

namespace {

// Cheap Argon2 for tests; production uses the RFC 9106 parameters.
constexpr tessera::crypto::Params kFast{.memory_kib = 64, .iterations = 1};

struct Directory {
  Fixture f;
  DirectoryOps ops{f.context, kFast};

  Directory() {
    v1::AddDomainRequest domain;
    domain.set_name("Example.ORG");
    REQUIRE(ops.add_domain(domain));
  }

  v1::Account add(const std::string& login, const std::string& password = "secret") {
    v1::AddAccountRequest request;
    request.set_login(login);
    request.set_password(password);
    auto account = ops.add_account(request);
    REQUIRE(account);
    return *account;
  }

  v1::AuthenticateReply login(const std::string& login, const std::string& password,
                              const std::string& ip = "192.0.2.1",
                              v1::Protocol protocol = v1::PROTOCOL_IMAP) {
    v1::AuthenticateRequest request;
    request.set_login(login);
    request.set_password(password);
    request.set_client_ip(ip);
    request.set_protocol(protocol);
    return *ops.authenticate(request);
  }

  v1::ResolveRecipientReply resolve(const std::string& address) {
    v1::ResolveRecipientRequest request;
    request.set_address(address);
    auto reply = ops.resolve(request);
    REQUIRE(reply);
    return *reply;
  }
};

}  // namespace

TEST_CASE("an account is created with its six special folders in one write") {
  Directory d;
  const auto ann = d.add("Ann@Example.org");
  CHECK(ann.login() == "Ann@example.org");
  auto state = read_account_state(*d.f.db, ann.account_id());
  REQUIRE(*state);
  CHECK((*state)->special_size() == 6);
  v1::ListDomainsReply domains = *d.ops.list_domains();
  REQUIRE(domains.domains_size() == 1);
  CHECK(domains.domains(0).name() == "example.org");
  CHECK(domains.domains(0).account_count() == 1);
  v1::AddAccountRequest again;
  again.set_login("ann@EXAMPLE.org");
  again.set_password("x");
  CHECK(d.ops.add_account(again).error().code == "rpc.ALREADY_EXISTS");
  again.set_login("bob@unknown.test");
  CHECK(d.ops.add_account(again).error().code == "rpc.NOT_FOUND");
  again.set_login("not an address");
  CHECK(d.ops.add_account(again).error().code == "rpc.INVALID_ARGUMENT");
  v1::RemoveDomainRequest remove;
  remove.set_name("example.org");
  CHECK(d.ops.remove_domain(remove).error().code == "rpc.FAILED_PRECONDITION");
}

TEST_CASE("recipients resolve by main address, alias and +suffix — others are told apart") {
  Directory d;
  const auto ann = d.add("ann@example.org");
  v1::AliasRequest alias;
  alias.set_account_id(ann.account_id());
  alias.set_address("sales@example.org");
  REQUIRE(d.ops.add_alias(alias));
  alias.set_address("sales@other.org");
  CHECK(d.ops.add_alias(alias).error().code == "rpc.INVALID_ARGUMENT");  // API-03
  alias.set_address("ANN@example.org");
  CHECK(d.ops.add_alias(alias).error().code == "rpc.ALREADY_EXISTS");

  CHECK(d.resolve("ANN@Example.Org").match() == v1::RECIPIENT_MATCH_ACCOUNT);
  CHECK(d.resolve("Sales@example.org").match() == v1::RECIPIENT_MATCH_ALIAS);
  const auto sub = d.resolve("ann+lists@example.org");
  CHECK(sub.match() == v1::RECIPIENT_MATCH_SUBADDRESS);
  CHECK(sub.suffix() == "lists");
  CHECK(sub.account_id() == ann.account_id());
  CHECK(d.resolve("nobody@example.org").match() == v1::RECIPIENT_MATCH_UNKNOWN_USER);
  CHECK(d.resolve("nobody+x@example.org").account_id() == 0);
  CHECK(d.resolve("ann@elsewhere.net").match() == v1::RECIPIENT_MATCH_FOREIGN_DOMAIN);

  v1::UpdateAccountRequest disable;
  disable.set_account_id(ann.account_id());
  disable.set_enabled(false);
  REQUIRE(d.ops.update_account(disable));
  v1::ResolveRecipientRequest request;
  request.set_address("ann@example.org");
  CHECK(d.ops.resolve(request).error().code == "rpc.FAILED_PRECONDITION");

  // Removing the account frees its addresses.
  v1::RemoveAccountRequest remove;
  remove.set_account_id(ann.account_id());
  REQUIRE(d.ops.remove_account(remove));
  CHECK(d.resolve("sales@example.org").match() == v1::RECIPIENT_MATCH_UNKNOWN_USER);
  CHECK_FALSE(*read_account_state(*d.f.db, ann.account_id()));
  const auto again = d.add("sales@example.org");
  CHECK(again.account_id() != ann.account_id());  // ids are never reused
}

TEST_CASE("authentication: wrong and unknown look alike, failures slow down and lock out") {
  Directory d;
  const auto ann = d.add("ann@example.org", "right");
  auto ok = d.login("ANN@example.org", "right");
  CHECK(ok.result() == v1::AUTH_RESULT_OK);
  CHECK(ok.account_id() == ann.account_id());
  CHECK(ok.delay_ms() == 0);
  const auto wrong = d.login("ann@example.org", "wrong");
  const auto unknown = d.login("nobody@example.org", "wrong", "192.0.2.2");
  CHECK(wrong.result() == v1::AUTH_RESULT_BAD_CREDENTIALS);
  CHECK(unknown.result() == v1::AUTH_RESULT_BAD_CREDENTIALS);
  CHECK(wrong.account_id() == 0);
  CHECK(wrong.delay_ms() == unknown.delay_ms());
  std::uint32_t last_delay = wrong.delay_ms();
  for (int i = 0; i < 8; ++i) {
    const auto again = d.login("ann@example.org", "wrong", "198.51.100." + std::to_string(i));
    CHECK(again.delay_ms() >= last_delay);
    last_delay = again.delay_ms();
  }
  // The 10th failure locks the account for every address, even with the right password.
  CHECK(d.login("ann@example.org", "wrong", "203.0.113.9").result() ==
        v1::AUTH_RESULT_BAD_CREDENTIALS);
  const auto locked = d.login("ann@example.org", "right", "203.0.113.10");
  CHECK(locked.result() == v1::AUTH_RESULT_LOCKED_OUT);
  CHECK(locked.retry_after_ms() > 0);
  d.f.now += 16 * 60 * 1000;
  CHECK(d.login("ann@example.org", "right").result() == v1::AUTH_RESULT_OK);

  // A new password clears a lockout at once.
  for (int i = 0; i < 10; ++i)
    d.login("ann@example.org", "wrong", "198.51.100.1");
  CHECK(d.login("ann@example.org", "right").result() == v1::AUTH_RESULT_LOCKED_OUT);
  v1::SetPasswordRequest password;
  password.set_account_id(ann.account_id());
  password.set_password("new");
  REQUIRE(d.ops.set_password(password));
  CHECK(d.login("ann@example.org", "new", "192.0.2.50").result() == v1::AUTH_RESULT_OK);

  v1::UpdateAccountRequest disable;
  disable.set_account_id(ann.account_id());
  disable.set_enabled(false);
  REQUIRE(d.ops.update_account(disable));
  CHECK(d.login("ann@example.org", "new", "192.0.2.50").result() == v1::AUTH_RESULT_DISABLED);
  CHECK(d.login("ann@example.org", "bad", "192.0.2.50").result() ==
        v1::AUTH_RESULT_BAD_CREDENTIALS);
}

TEST_CASE("the subscription's protocols (API-10): IMAP or POP3 off refuses only that one") {
  Directory d;
  const auto ann = d.add("ann@example.org", "right");
  v1::UpdateAccountRequest no_pop3;
  no_pop3.set_account_id(ann.account_id());
  no_pop3.set_pop3_disabled(true);
  auto updated = d.ops.update_account(no_pop3);
  REQUIRE(updated);
  CHECK(updated->pop3_disabled());
  CHECK_FALSE(updated->imap_disabled());
  const auto ip = "192.0.2.7";
  CHECK(d.login("ann@example.org", "right", ip, v1::PROTOCOL_POP3).result() ==
        v1::AUTH_RESULT_PROTOCOL_DISABLED);
  CHECK(d.login("ann@example.org", "right", ip, v1::PROTOCOL_IMAP).result() == v1::AUTH_RESULT_OK);
  CHECK(d.login("ann@example.org", "right", ip, v1::PROTOCOL_SUBMISSION).result() ==
        v1::AUTH_RESULT_OK);
  // Not a failure: well past the lockout threshold (10) the right password still gets in.
  for (int i = 0; i < 12; ++i)
    CHECK(d.login("ann@example.org", "right", ip, v1::PROTOCOL_POP3).result() ==
          v1::AUTH_RESULT_PROTOCOL_DISABLED);
  CHECK(d.login("ann@example.org", "right", ip, v1::PROTOCOL_IMAP).result() == v1::AUTH_RESULT_OK);
  // The wrong password learns nothing about it.
  CHECK(d.login("ann@example.org", "wrong", ip, v1::PROTOCOL_POP3).result() ==
        v1::AUTH_RESULT_BAD_CREDENTIALS);
  v1::UpdateAccountRequest swap;
  swap.set_account_id(ann.account_id());
  swap.set_pop3_disabled(false);
  swap.set_imap_disabled(true);
  REQUIRE(d.ops.update_account(swap));
  CHECK(d.login("ann@example.org", "right", ip, v1::PROTOCOL_POP3).result() == v1::AUTH_RESULT_OK);
  CHECK(d.login("ann@example.org", "right", ip, v1::PROTOCOL_IMAP).result() ==
        v1::AUTH_RESULT_PROTOCOL_DISABLED);
}

TEST_CASE("one address hammering many accounts is locked out for all of them") {
  Directory d;
  d.add("ann@example.org", "right");
  for (int i = 0; i < 30; ++i)
    d.login("user" + std::to_string(i) + "@example.org", "guess", "192.0.2.66");
  CHECK(d.login("ann@example.org", "right", "192.0.2.66").result() == v1::AUTH_RESULT_LOCKED_OUT);
  CHECK(d.login("ann@example.org", "right", "192.0.2.67").result() == v1::AUTH_RESULT_OK);
}

TEST_CASE("quota, paging, sender addresses") {
  Directory d;
  for (int i = 0; i < 5; ++i)
    d.add("u" + std::to_string(i) + "@example.org");
  v1::ListAccountsRequest list;
  list.set_domain("example.org");
  list.set_page_size(2);
  std::vector<std::string> logins;
  for (int page = 0; page < 5; ++page) {
    auto reply = d.ops.list_accounts(list);
    REQUIRE(reply);
    for (const auto& a : reply->accounts())
      logins.push_back(a.login());
    if (reply->next_page_token().empty()) break;
    list.set_page_token(reply->next_page_token());
  }
  CHECK(logins == std::vector<std::string>{"u0@example.org", "u1@example.org", "u2@example.org",
                                           "u3@example.org", "u4@example.org"});
  v1::GetAccountRequest get;
  get.set_login("u1@example.org");
  const auto u1 = *d.ops.get_account(get);
  v1::UpdateAccountRequest update;
  update.set_account_id(u1.account_id());
  update.set_quota_bytes(1000);
  REQUIRE(d.ops.update_account(update));
  const auto inbox = d.f.role(u1.account_id(), v1::MAILBOX_ROLE_INBOX);
  REQUIRE(d.f.append(u1.account_id(), inbox, testing::message("hi")));
  v1::GetQuotaRequest quota;
  quota.set_account_id(u1.account_id());
  const auto q = *d.ops.quota(quota);
  CHECK(q.limit_bytes() == 1000);
  CHECK(q.used_bytes() == testing::message("hi").size());
  CHECK(q.message_count() == 1);
  CHECK(q.trash_bytes() == 0);
  const auto trash = d.f.role(u1.account_id(), v1::MAILBOX_ROLE_TRASH);
  REQUIRE(d.f.append(u1.account_id(), trash, testing::message("old")));
  CHECK(d.ops.quota(quota)->trash_bytes() == testing::message("old").size());
  v1::SenderAddressRequest sender;
  sender.set_account_id(u1.account_id());
  for (int i = 0; i < kMaxSenderAddresses; ++i) {
    sender.set_address("s" + std::to_string(i) + "@elsewhere.net");
    REQUIRE(d.ops.add_sender(sender));
  }
  sender.set_address("one-more@elsewhere.net");
  CHECK(d.ops.add_sender(sender).error().code == "rpc.FAILED_PRECONDITION");
  sender.set_address("S0@elsewhere.net");
  REQUIRE(d.ops.remove_sender(sender));
}

TEST_CASE("sending limits per account: 0 is the relay's default, the tops are the relay's") {
  Fixture f;
  auto ops = std::make_unique<DirectoryOps>(f.context, kFast);
  v1::AddDomainRequest domain;
  domain.set_name("example.org");
  REQUIRE(ops->add_domain(domain));
  v1::AddAccountRequest add;
  add.set_login("bulk@example.org");
  add.set_password("secret");
  add.set_quota_bytes(1000);
  const auto added = ops->add_account(add);
  REQUIRE(added);
  CHECK(added->messages_per_hour() == 0);
  CHECK(added->max_recipients() == 0);
  struct Case {
    const char* name;
    std::optional<std::uint32_t> messages_per_hour, max_recipients;
    std::uint32_t want_messages, want_recipients;
    const char* want_error;  // empty: accepted
  };
  const Case cases[] = {
      {"both set, higher and lower than a default", 5000, 2, 5000, 2, ""},
      {"one set, the other kept", std::nullopt, 10, 5000, 10, ""},
      {"0 goes back to the default", 0, std::nullopt, 0, 10, ""},
      {"the tops", kMostMessagesPerHour, kMostRecipients, kMostMessagesPerHour, kMostRecipients,
       ""},
      {"messages past the top", kMostMessagesPerHour + 1, 3, kMostMessagesPerHour, kMostRecipients,
       "rpc.INVALID_ARGUMENT"},
      {"recipients past the top", 3, kMostRecipients + 1, kMostMessagesPerHour, kMostRecipients,
       "rpc.INVALID_ARGUMENT"},
      {"back to a bulk sender's values", 20000, 500, 20000, 500, ""},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    v1::UpdateAccountRequest update;
    update.set_account_id(added->account_id());
    if (c.messages_per_hour) update.set_messages_per_hour(*c.messages_per_hour);
    if (c.max_recipients) update.set_max_recipients(*c.max_recipients);
    auto got = ops->update_account(update);
    CHECK(std::string(got ? "" : got.error().code) == c.want_error);
    v1::GetAccountRequest get;
    get.set_login("BULK@example.org");
    const auto stored = *ops->get_account(get);
    CHECK(stored.messages_per_hour() == c.want_messages);
    CHECK(stored.max_recipients() == c.want_recipients);
    CHECK(stored.quota_bytes() == 1000);  // the other fields stay
    CHECK(stored.enabled());
  }
  // The record keeps them: a new process reads them back, and so does ListAccounts.
  ops.reset();
  f.db.reset();
  f.db = Db::open(f.dir).value();
  Context reopened{*f.db, f.locks, f.notifier, [&] { return f.now; }};
  ops = std::make_unique<DirectoryOps>(reopened, kFast);
  v1::ListAccountsRequest list;
  const auto listed = *ops->list_accounts(list);
  REQUIRE(listed.accounts_size() == 1);
  CHECK(listed.accounts(0).messages_per_hour() == 20000);
  CHECK(listed.accounts(0).max_recipients() == 500);
}

TEST_CASE("ChargeSubmission counts per account whatever limit the relay passes") {
  Directory d;
  const auto ann = d.add("ann@example.org");
  const auto bob = d.add("bob@example.org");
  auto charge = [&](const v1::Account& account, std::uint32_t limit) {
    v1::ChargeSubmissionRequest request;
    request.set_account_id(account.account_id());
    request.set_limit_per_hour(limit);
    auto reply = d.ops.charge_submission(request);
    REQUIRE(reply);
    return *reply;
  };
  CHECK(charge(ann, 5).allowed());
  CHECK(charge(ann, 5).allowed());
  // An operator lowered ann's limit to 2: the two already sent count against it.
  const auto refused = charge(ann, 2);
  CHECK_FALSE(refused.allowed());
  CHECK(refused.sent_last_hour() == 2);
  CHECK(charge(bob, 2).allowed());  // bob's count is his own
  CHECK(charge(ann, 3).allowed());  // raised again: one more fits
  CHECK_FALSE(charge(ann, 3).allowed());
  v1::ChargeSubmissionRequest unknown;
  unknown.set_account_id(999);
  CHECK(d.ops.charge_submission(unknown).error().code == "rpc.NOT_FOUND");
}

TEST_CASE("a domain's mandatory signature (RL-07): set, read back, kept with the account count") {
  Directory d;
  d.add("ann@example.org");
  v1::SetDomainSignatureRequest set;
  set.set_name("EXAMPLE.org");
  set.set_text("Example Office \xe2\x80\x94 example.org");
  set.set_html("<b>Example Office</b>");
  REQUIRE(d.ops.set_domain_signature(set));
  v1::GetDomainRequest get;
  get.set_name("example.org");
  auto domain = d.ops.get_domain(get);
  REQUIRE(domain);
  CHECK(domain->signature_text() == "Example Office \xe2\x80\x94 example.org");
  CHECK(domain->signature_html() == "<b>Example Office</b>");
  CHECK(domain->account_count() == 1);
  set.set_text("\xff");
  CHECK(d.ops.set_domain_signature(set).error().code == "rpc.INVALID_ARGUMENT");
  set.set_text("");
  CHECK(d.ops.set_domain_signature(set).error().code == "rpc.INVALID_ARGUMENT");  // HTML alone
  set.set_html("");
  REQUIRE(d.ops.set_domain_signature(set));  // both empty: removed
  CHECK(d.ops.get_domain(get)->signature_text().empty());
  get.set_name("nowhere.example");
  CHECK(d.ops.get_domain(get).error().code == "rpc.NOT_FOUND");
}
