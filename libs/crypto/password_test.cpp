#include "crypto/password.hpp"

#include <catch2/catch.hpp>

namespace tessera::crypto {
namespace {

// Small enough to keep the suite fast; the defaults are exercised once below.
const Params kFast{64, 1, 1, 32};

TEST_CASE("hash_password round-trips through verify_password") {
  for (const std::string& password : std::vector<std::string>{
           "correct horse battery staple", "", "pässwörd ✓", std::string("nul\0inside", 10)}) {
    auto encoded = hash_password(password, kFast);
    INFO("password=" << password);
    REQUIRE(encoded.has_value());
    CHECK(encoded->starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    auto ok = verify_password(password, *encoded);
    REQUIRE(ok.has_value());
    CHECK(*ok);
  }
}

TEST_CASE("a wrong password verifies false, not as an error") {
  auto encoded = hash_password("secret", kFast);
  REQUIRE(encoded.has_value());
  for (const std::string& wrong :
       std::vector<std::string>{"Secret", "secret ", "secre", "", std::string("secret\0", 7)}) {
    auto got = verify_password(wrong, *encoded);
    INFO("wrong=" << wrong);
    REQUIRE(got.has_value());
    CHECK_FALSE(*got);
  }
}

TEST_CASE("two hashes of one password differ by their salt") {
  auto first = hash_password("same", kFast);
  auto second = hash_password("same", kFast);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(*first != *second);
  const auto salt_of = [](const std::string& encoded) {
    const auto end = encoded.rfind('$');
    const auto start = encoded.rfind('$', end - 1) + 1;
    return encoded.substr(start, end - start);
  };
  CHECK(salt_of(*first) != salt_of(*second));
  CHECK(salt_of(*first).size() == 22);  // 16 bytes, unpadded base64
  CHECK(*verify_password("same", *second));
}

TEST_CASE("a hash from the reference implementation verifies") {
  // Argon2 reference test vector (phc-winner-argon2 src/test.c): m=2^16 KiB, t=2, p=1.
  const std::string reference =
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
  CHECK(*verify_password("password", reference));
  CHECK_FALSE(*verify_password("passwore", reference));
}

TEST_CASE("malformed encoded strings are errors naming no secret") {
  const std::string salt = "c29tZXNhbHQ";  // "somesalt"
  const std::string hash = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
  const std::vector<std::string> bad = {
      "",
      "password",
      "$argon2id$v=19$m=64,t=1,p=1$" + salt,
      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash + "$",
      "x$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash,
      "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + hash,
      "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + hash,
      "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + hash,
      "$argon2id$m=64,t=1,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=64,t=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + hash,  // 4 TiB: refused
      "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + hash,
      "$argon2id$v=19$m=4,t=1,p=1$" + salt + "$" + hash,  // below 8 KiB per lane
      "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + hash,       // 4-byte salt
      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash + "=",
      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash.substr(2),  // length % 4 == 1
      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + hash.substr(1),  // libargon2 refuses it
      "$argon2id$v=19$m=64,t=1,p=1$c29t*XNhbHQ$" + hash,
      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAA",  // 2-byte hash
  };
  for (const std::string& encoded : bad) {
    auto got = verify_password("password", encoded);
    INFO("encoded=" << encoded);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == "crypto.bad_hash");
    CHECK(got.error().message.starts_with("password hash is malformed: "));
    CHECK(got.error().message.find(salt) == std::string::npos);
    CHECK(needs_rehash(encoded, kFast));
  }
}

TEST_CASE("needs_rehash compares the stored parameters with the wanted ones") {
  auto encoded = hash_password("pw", kFast);
  REQUIRE(encoded.has_value());
  CHECK_FALSE(needs_rehash(*encoded, kFast));
  CHECK(needs_rehash(*encoded, Params{128, 1, 1, 32}));
  CHECK(needs_rehash(*encoded, Params{64, 2, 1, 32}));
  CHECK(needs_rehash(*encoded, Params{64, 1, 2, 32}));
  CHECK(needs_rehash(*encoded, Params{64, 1, 1, 16}));
  CHECK(needs_rehash(*encoded));  // the defaults are stronger
  auto parsed = parse_encoded(*encoded);
  REQUIRE(parsed.has_value());
  CHECK(parsed->params == kFast);
  CHECK(parsed->salt_bytes == kSaltBytes);
}

TEST_CASE("bad parameters are refused before hashing") {
  for (const Params& params : {Params{4, 1, 1, 32}, Params{64, 0, 1, 32}, Params{64, 1, 0, 32},
                               Params{64, 1, 1, 2}, Params{kMaxMemoryKib + 1, 1, 1, 32},
                               Params{64, kMaxIterations + 1, 1, 32}, Params{64, 1, 1, 65}}) {
    auto got = hash_password("pw", params);
    INFO("m=" << params.memory_kib << " t=" << params.iterations << " p=" << params.parallelism
              << " len=" << params.hash_bytes);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == "crypto.bad_params");
  }
}

TEST_CASE("the default parameters follow RFC 9106 §4's second option with one lane") {
  CHECK(Params{} == Params{65536, 3, 1, 32});
  auto encoded = hash_password("default strength");
  REQUIRE(encoded.has_value());
  CHECK(encoded->starts_with("$argon2id$v=19$m=65536,t=3,p=1$"));
  CHECK_FALSE(needs_rehash(*encoded));
  CHECK(*verify_password("default strength", *encoded));
}

}  // namespace
}  // namespace tessera::crypto
