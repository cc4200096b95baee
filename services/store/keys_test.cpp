#include "keys.hpp"

#include <algorithm>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

namespace keys = tessera::store::keys;

TEST_CASE("integers encode big-endian with fixed width") {
  std::string out;
  keys::put_u64(out, 0x0102030405060708ULL);
  keys::put_u32(out, 0xA0B0C0D0U);
  CHECK(out == std::string("\x01\x02\x03\x04\x05\x06\x07\x08\xA0\xB0\xC0\xD0", 12));
  CHECK(keys::get_u64(out, 0) == 0x0102030405060708ULL);
  CHECK(keys::get_u32(out, 8) == 0xA0B0C0D0U);
  CHECK_FALSE(keys::get_u32(out, 9));  // runs past the end
  CHECK_FALSE(keys::get_u64(out, 13));
}

TEST_CASE("message keys sort by account, mailbox, then UID numerically") {
  std::vector<keys::MessageKey> want = {{1, 1, 1},   {1, 1, 2},           {1, 1, 255},
                                        {1, 1, 256}, {1, 1, 0xFFFFFFFFU}, {1, 2, 1},
                                        {1, 256, 1}, {2, 1, 1},           {0x100000000ULL, 0, 0}};
  std::vector<std::string> encoded;
  for (const auto& k : want)
    encoded.push_back(keys::message(k.account, k.mailbox, k.uid));
  std::shuffle(encoded.begin(), encoded.end(), std::mt19937(7));
  std::sort(encoded.begin(), encoded.end());  // RocksDB's default bytewise order
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("position " << i);
    CHECK(keys::parse_message(encoded[i]) == want[i]);
  }
}

TEST_CASE("a mailbox prefix covers exactly that mailbox's messages") {
  const auto prefix = keys::mailbox_prefix(5, 9);
  const auto end = keys::prefix_end(prefix);
  CHECK(keys::message(5, 9, 0) >= prefix);
  CHECK(keys::message(5, 9, 0xFFFFFFFFU) < end);
  CHECK(keys::message(5, 10, 0) >= end);
  CHECK(keys::message(5, 8, 0xFFFFFFFFU) < prefix);
  CHECK(keys::message(6, 0, 0) >= keys::prefix_end(keys::account_prefix(5)));
}

TEST_CASE("change keys follow MODSEQ order within an account") {
  CHECK(keys::change(1, 255) < keys::change(1, 256));
  CHECK(keys::change(1, 0xFFFFFFFFFFFFFFFFULL) < keys::change(2, 0));
}

TEST_CASE("prefix_end handles trailing 0xff bytes") {
  CHECK(keys::prefix_end(std::string("\x01\xff", 2)) == std::string("\x02", 1));
  CHECK(keys::prefix_end(std::string("\xff\xff", 2)).empty());
  CHECK(keys::prefix_end("a") == "b");
}

TEST_CASE("parse_message refuses keys of another length") {
  CHECK_FALSE(keys::parse_message(""));
  CHECK_FALSE(keys::parse_message(keys::mailbox_prefix(1, 2)));
  CHECK_FALSE(keys::parse_message(keys::message(1, 2, 3) + "x"));
}
