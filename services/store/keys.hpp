// RocksDB key encoding of the store (design.md §4): fixed-width big-endian integers, so that
// byte order is numeric order and a prefix scan over `account | mailbox` walks UIDs in
// ascending order. Every key starts with the account id: one account's data is one contiguous
// range per column family (isolation and per-account scans). Pure functions, no RocksDB here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::store::keys {

// Appends `value` as 8 (or 4) big-endian bytes.
void put_u64(std::string& out, std::uint64_t value);
void put_u32(std::string& out, std::uint32_t value);
// Reads 8 (or 4) big-endian bytes at `offset`; nullopt when the key is too short.
std::optional<std::uint64_t> get_u64(std::string_view key, std::size_t offset);
std::optional<std::uint32_t> get_u32(std::string_view key, std::size_t offset);

// `index` column family: account(8) | mailbox(8) | uid(4) → message record.
std::string message(std::uint64_t account, std::uint64_t mailbox, std::uint32_t uid);
// The prefix of every message of one mailbox, for ordered scans.
std::string mailbox_prefix(std::uint64_t account, std::uint64_t mailbox);
// `mailboxes` column family: account(8) | mailbox(8) → mailbox record.
std::string mailbox(std::uint64_t account, std::uint64_t mailbox);
// The prefix of every key of one account in any account-first column family.
std::string account_prefix(std::uint64_t account);
// `changes` column family: account(8) | modseq(8) → change record (RFC 7162 MODSEQ order).
std::string change(std::uint64_t account, std::uint64_t modseq);

struct MessageKey {
  std::uint64_t account = 0;
  std::uint64_t mailbox = 0;
  std::uint32_t uid = 0;
  friend bool operator==(const MessageKey&, const MessageKey&) = default;
};
// Decodes a key made by message(); nullopt for any other length.
std::optional<MessageKey> parse_message(std::string_view key);

// The smallest key greater than every key starting with `prefix` (RocksDB iterate_upper_bound);
// empty when there is none (prefix of all 0xff bytes).
std::string prefix_end(std::string_view prefix);

}  // namespace tessera::store::keys
