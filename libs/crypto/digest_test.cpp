#include "crypto/digest.hpp"

#include <catch2/catch.hpp>

namespace crypto = tessera::crypto;

TEST_CASE("sha256 matches the FIPS 180-2 test vectors") {
  CHECK(crypto::hex(crypto::sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(crypto::hex(crypto::sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(crypto::sha256("abc").size() == 32);
}

TEST_CASE("Sha256 in pieces equals the one-shot digest") {
  crypto::Sha256 digest;
  digest.update("hello ");
  digest.update("world");
  CHECK(digest.finish() == crypto::sha256("hello world"));
}
