#include "net/sasl.hpp"

#include <catch2/catch.hpp>

namespace tessera::net {
namespace {

TEST_CASE("base64 of SASL exchanges round-trips and refuses what is not base64") {
  CHECK(base64_encode("Username:") == kLoginUsernamePrompt);
  CHECK(*base64_decode(kLoginPasswordPrompt) == "Password:");
  CHECK(*base64_decode(base64_encode(std::string("a\0b", 3))) == std::string("a\0b", 3));
  CHECK(base64_decode("").value().empty());
  CHECK(!base64_decode("abc"));
  CHECK(!base64_decode("ab!="));
}

TEST_CASE("PLAIN messages split into authzid, authcid and password (RFC 4616)") {
  auto p = parse_plain(std::string("\0ann@example.org\0secret", 23));
  REQUIRE(p);
  CHECK(p->authzid.empty());
  CHECK(p->authcid == "ann@example.org");
  CHECK(p->password == "secret");
  CHECK(!parse_plain("no separators"));
  CHECK(!parse_plain(std::string("\0\0pw", 4)));  // empty authcid
}

}  // namespace
}  // namespace tessera::net
