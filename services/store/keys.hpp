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

// `accounts` column family: 'A' | account(8) → storedb.v1.AccountRecord. Other directory keys
// (logins, domains, aliases) are in directory_keys.hpp.
std::string account_record(std::uint64_t account);

// `mailboxes` column family: account(8) | 0(8) → the account's counters (mailbox ids start at 1).
std::string account_state(std::uint64_t account);

// `blobs` column family, content-addressed by the 32-byte SHA-256 `id` of the raw bytes:
// 'B' | id → the bytes, 'R' | id → reference count, 'D' | id → derived data.
std::string blob(std::string_view id);
std::string blob_refs(std::string_view id);
std::string blob_derived(std::string_view id);

// `threads` column family: account(8) | kind(1) | hash(8) → thread id. kind 'M' maps a
// Message-ID, 'S' a base subject (RFC 5256 §2.1) to the conversation it belongs to (ST-28).
std::string thread(std::uint64_t account, char kind, std::uint64_t hash);

// `idempotency` column family: scope(1) | account(8) | caller's key → first reply. Scopes:
// 'A' Append (account = owner), 'D' Deliver and 'Q' Enqueue (account = 0).
std::string idempotency(char scope, std::uint64_t account, std::string_view key);

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
