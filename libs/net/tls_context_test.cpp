#include "net/tls_context.hpp"

#include <catch2/catch.hpp>

#include "net/test_support.hpp"

namespace tessera::net {
namespace {

using testing::TempDir;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("TlsContext loads a certificate and its key") {
  TempDir dir;
  testing::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"));
  auto tls = TlsContext::load(dir.file("cert.pem"), dir.file("key.pem"));
  INFO((tls ? std::string("ok") : tls.error().message));
  REQUIRE(tls.has_value());
  REQUIRE(tls->current() != nullptr);
  SSL_CTX* ctx = tls->current()->native_handle();
  CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);
  CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION) != 0);
  CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION) != 0);
}

TEST_CASE("TlsContext errors are one line naming the file and the key to set") {
  TempDir dir;
  testing::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"));
  testing::write_self_signed(dir.file("other.pem"), dir.file("other-key.pem"));
  testing::write_self_signed(dir.file("enc.pem"), dir.file("enc-key.pem"), "localhost", "secret");
  testing::write_file(dir.file("garbage.pem"), "not a certificate\n");
  struct Case {
    const char* name;
    std::string cert;
    std::string key;
    std::vector<std::string> want_parts;
  };
  const std::vector<Case> cases = {
      {"missing certificate",
       dir.file("nope.pem"),
       dir.file("key.pem"),
       {"cannot read TLS certificate " + dir.file("nope.pem") + ": No such file or directory",
        "(set tls.cert)"}},
      {"missing key",
       dir.file("cert.pem"),
       dir.file("nokey.pem"),
       {"cannot read TLS key " + dir.file("nokey.pem") + ": No such file or directory",
        "(set tls.key)"}},
      {"certificate is a directory",
       dir.path().string(),
       dir.file("key.pem"),
       {"cannot read TLS certificate " + dir.path().string(), "(set tls.cert)"}},
      {"garbage certificate",
       dir.file("garbage.pem"),
       dir.file("key.pem"),
       {"cannot load TLS certificate " + dir.file("garbage.pem"), "set tls.cert"}},
      {"garbage key",
       dir.file("cert.pem"),
       dir.file("garbage.pem"),
       {"cannot load TLS key " + dir.file("garbage.pem"), "set tls.key"}},
      {"key of another certificate",
       dir.file("cert.pem"),
       dir.file("other-key.pem"),
       {"TLS key " + dir.file("other-key.pem") + " does not match certificate " +
            dir.file("cert.pem"),
        "set tls.key"}},
      {"encrypted key",
       dir.file("enc.pem"),
       dir.file("enc-key.pem"),
       {"cannot load TLS key " + dir.file("enc-key.pem"), "unencrypted"}},
  };
  for (const Case& c : cases) {
    auto tls = TlsContext::load(c.cert, c.key);
    INFO(c.name << ": got " << (tls ? std::string("ok") : tls.error().message));
    REQUIRE_FALSE(tls.has_value());
    CHECK(tls.error().code == "net.tls_config");
    CHECK_FALSE(contains(tls.error().message, "\n"));
    for (const std::string& part : c.want_parts) {
      INFO("want part: " << part);
      CHECK(contains(tls.error().message, part));
    }
  }
}

TEST_CASE("TlsContext names the caller's config keys") {
  TempDir dir;
  auto tls = TlsContext::load(dir.file("x.pem"), dir.file("y.pem"),
                              {.cert = "imap.tls.cert", .key = "imap.tls.key"});
  REQUIRE_FALSE(tls.has_value());
  INFO(tls.error().message);
  CHECK(contains(tls.error().message, "(set imap.tls.cert)"));
}

TEST_CASE("TlsContext::reload swaps the context and a failed reload keeps the old one") {
  TempDir dir;
  testing::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"), "first");
  auto tls = TlsContext::load(dir.file("cert.pem"), dir.file("key.pem"));
  REQUIRE(tls.has_value());
  const std::shared_ptr<asio::ssl::context> first = tls->current();

  testing::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"), "second");
  Status reloaded = tls->reload();
  REQUIRE(reloaded.has_value());
  const std::shared_ptr<asio::ssl::context> second = tls->current();
  CHECK(second != first);
  // A connection holding the first context still has a usable one.
  CHECK(SSL_CTX_get0_certificate(first->native_handle()) != nullptr);
  X509_NAME* subject = X509_get_subject_name(SSL_CTX_get0_certificate(second->native_handle()));
  char cn[64] = {};
  X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn);
  CHECK(std::string(cn) == "second");

  // Half-written rotation: the new key does not match; the old context stays.
  testing::write_self_signed(dir.file("other.pem"), dir.file("key.pem"), "third");
  Status failed = tls->reload();
  REQUIRE_FALSE(failed.has_value());
  CHECK(contains(failed.error().message, "does not match"));
  CHECK(tls->current() == second);
}

}  // namespace
}  // namespace tessera::net
