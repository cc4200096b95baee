#include <catch2/catch.hpp>

#include "directory_ops.hpp"
#include "dkim/dkim.hpp"
#include "test_fixture.hpp"

using namespace tessera::store;
using testing::Fixture;

namespace {

constexpr tessera::crypto::Params kFast{.memory_kib = 64, .iterations = 1};  // cheap Argon2

struct Keys {
  Fixture f;  // now = 2023-11-14
  std::unique_ptr<DirectoryOps> ops = std::make_unique<DirectoryOps>(f.context, kFast);

  Keys() { add_domain("example.org"); }

  void add_domain(const std::string& name) {
    v1::AddDomainRequest request;
    request.set_name(name);
    REQUIRE(ops->add_domain(request));
  }

  tessera::Result<v1::DkimKey> generate(const std::string& domain, const std::string& selector,
                                        v1::DkimAlgorithm algorithm, bool replace = false) {
    v1::GenerateDkimKeyRequest request;
    request.set_domain(domain);
    request.set_selector(selector);
    request.set_algorithm(algorithm);
    request.set_replace(replace);
    return ops->generate_dkim_key(request);
  }

  tessera::Result<v1::ListDkimKeysReply> list(const std::string& domain, bool with_private) {
    v1::ListDkimKeysRequest request;
    request.set_domain(domain);
    request.set_include_private(with_private);
    return ops->list_dkim_keys(request);
  }

  std::vector<std::string> selectors(const std::string& domain) {
    std::vector<std::string> out;
    const auto listed = list(domain, false).value();
    for (const auto& key : listed.keys())
      out.push_back(key.selector());
    return out;
  }
};

tessera::dkim::Key signing_key(const v1::DkimKey& key) {
  return {key.domain(), key.selector(),
          key.algorithm() == v1::DKIM_ALGORITHM_ED25519_SHA256
              ? tessera::dkim::Algorithm::ed25519_sha256
              : tessera::dkim::Algorithm::rsa_sha256,
          key.private_key_pem()};
}

}  // namespace

TEST_CASE("GenerateDkimKey keeps RSA and Ed25519 keys; the private half only on request") {
  Keys k;
  auto rsa = k.generate("Example.ORG", "", v1::DKIM_ALGORITHM_UNSPECIFIED);
  REQUIRE(rsa);
  CHECK(rsa->domain() == "example.org");
  CHECK(rsa->selector() == "rsa-202311");  // default: algorithm and UTC month
  CHECK(rsa->algorithm() == v1::DKIM_ALGORITHM_RSA_SHA256);
  CHECK(rsa->record_name() == "rsa-202311._domainkey.example.org");
  CHECK(rsa->record_text().starts_with("v=DKIM1; k=rsa; p=MII"));
  CHECK(rsa->created_unix_ms() == k.f.now);
  CHECK(rsa->private_key_pem().empty());
  auto ed = k.generate("example.org", "Ed1", v1::DKIM_ALGORITHM_ED25519_SHA256);
  REQUIRE(ed);
  CHECK(ed->selector() == "ed1");
  CHECK(ed->record_text().starts_with("v=DKIM1; k=ed25519; p="));
  CHECK(ed->record_text().size() == 22 + 44);  // 32 bytes in base64

  const auto listed = k.list("example.org", false).value();
  REQUIRE(listed.keys_size() == 2);
  CHECK(listed.keys(0).selector() == "ed1");  // by selector
  CHECK(listed.keys(1).record_text() == rsa->record_text());
  for (const auto& key : listed.keys())
    CHECK(key.private_key_pem().empty());

  // What the relay gets signs, and its public half is the record that was shown.
  const auto with_private = k.list("example.org", true).value();
  for (const auto& key : with_private.keys()) {
    INFO(key.selector());
    REQUIRE(key.private_key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
    const auto signing = signing_key(key);
    CHECK(tessera::dkim::dns_record(signing).value() == key.record_text());
    CHECK(tessera::dkim::sign(signing, "From: a@example.org\r\n\r\nhi\r\n"));
  }
}

TEST_CASE("a selector in use is refused unless replace; bad names and unhosted domains fail") {
  Keys k;
  const auto first = k.generate("example.org", "s1", v1::DKIM_ALGORITHM_ED25519_SHA256).value();
  auto again = k.generate("example.org", "S1", v1::DKIM_ALGORITHM_RSA_SHA256);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == "rpc.ALREADY_EXISTS");
  auto replaced = k.generate("example.org", "s1", v1::DKIM_ALGORITHM_RSA_SHA256, true);
  REQUIRE(replaced);
  CHECK(replaced->record_text() != first.record_text());
  const auto listed = k.list("example.org", false).value();
  REQUIRE(listed.keys_size() == 1);
  CHECK(listed.keys(0).algorithm() == v1::DKIM_ALGORITHM_RSA_SHA256);

  struct Case {
    const char *domain, *selector, *code;
  };
  for (const auto& c : std::vector<Case>{{"other.test", "s1", "rpc.NOT_FOUND"},
                                         {"example.org", "s_1", "rpc.INVALID_ARGUMENT"},
                                         {"example.org", "s1; t=y", "rpc.INVALID_ARGUMENT"},
                                         {"example.org", "-s1", "rpc.INVALID_ARGUMENT"},
                                         {"example.org", "a..b", "rpc.INVALID_ARGUMENT"},
                                         {"bad domain", "s1", "rpc.INVALID_ARGUMENT"}}) {
    INFO(c.domain << " " << c.selector);
    auto got = k.generate(c.domain, c.selector, v1::DKIM_ALGORITHM_ED25519_SHA256);
    REQUIRE_FALSE(got);
    CHECK(got.error().code == c.code);
  }
  CHECK(k.list("other.test", false).error().code == "rpc.NOT_FOUND");
}

TEST_CASE("keys belong to one domain, survive a reopen and go when the domain is removed") {
  Keys k;
  k.add_domain("example.org.uk");  // shares a prefix with example.org
  REQUIRE(k.generate("example.org", "a", v1::DKIM_ALGORITHM_ED25519_SHA256));
  REQUIRE(k.generate("example.org", "b", v1::DKIM_ALGORITHM_ED25519_SHA256));
  REQUIRE(k.generate("example.org.uk", "c", v1::DKIM_ALGORITHM_ED25519_SHA256));
  CHECK(k.selectors("example.org") == std::vector<std::string>{"a", "b"});
  CHECK(k.selectors("example.org.uk") == std::vector<std::string>{"c"});

  k.ops.reset();
  k.f.db.reset();
  k.f.db = Db::open(k.f.dir).value();
  Context reopened{*k.f.db, k.f.locks, k.f.notifier, [&] { return k.f.now; }};
  k.ops = std::make_unique<DirectoryOps>(reopened, kFast);
  CHECK(k.selectors("example.org") == std::vector<std::string>{"a", "b"});

  v1::RemoveDomainRequest remove;
  remove.set_name("example.org");
  REQUIRE(k.ops->remove_domain(remove));
  k.add_domain("example.org");
  CHECK(k.selectors("example.org").empty());
  CHECK(k.selectors("example.org.uk") == std::vector<std::string>{"c"});
}
