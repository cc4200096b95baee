#include "keys.hpp"

namespace tessera::store::keys {
namespace {

template <typename T>
void put_be(std::string& out, T value) {
  for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

template <typename T>
std::optional<T> get_be(std::string_view key, std::size_t offset) {
  if (offset > key.size() || key.size() - offset < sizeof(T)) return std::nullopt;
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value = static_cast<T>((value << 8) | static_cast<unsigned char>(key[offset + i]));
  }
  return value;
}

constexpr std::size_t kMessageKeyBytes = 8 + 8 + 4;

// account(8) | second(8): the shape of mailbox and change keys.
std::string account_and(std::uint64_t account, std::uint64_t second) {
  std::string key;
  put_be(key, account);
  put_be(key, second);
  return key;
}

}  // namespace

void put_u64(std::string& out, std::uint64_t value) {
  put_be(out, value);
}
void put_u32(std::string& out, std::uint32_t value) {
  put_be(out, value);
}
std::optional<std::uint64_t> get_u64(std::string_view key, std::size_t offset) {
  return get_be<std::uint64_t>(key, offset);
}
std::optional<std::uint32_t> get_u32(std::string_view key, std::size_t offset) {
  return get_be<std::uint32_t>(key, offset);
}

std::string account_prefix(std::uint64_t account) {
  std::string key;
  put_u64(key, account);
  return key;
}

std::string mailbox_prefix(std::uint64_t account, std::uint64_t mailbox) {
  return account_and(account, mailbox);
}

std::string mailbox(std::uint64_t account, std::uint64_t mailbox) {
  return mailbox_prefix(account, mailbox);
}

std::string message(std::uint64_t account, std::uint64_t mailbox, std::uint32_t uid) {
  std::string key = mailbox_prefix(account, mailbox);
  put_u32(key, uid);
  return key;
}

std::string change(std::uint64_t account, std::uint64_t modseq) {
  return account_and(account, modseq);
}

std::string account_record(std::uint64_t account) {
  std::string key(1, 'A');
  put_be(key, account);
  return key;
}

std::string account_state(std::uint64_t account) {
  return account_and(account, 0);
}

namespace {
std::string tagged(char tag, std::string_view id) {
  std::string key(1, tag);
  key.append(id);
  return key;
}
}  // namespace

std::string blob(std::string_view id) {
  return tagged('B', id);
}
std::string blob_refs(std::string_view id) {
  return tagged('R', id);
}
std::string blob_derived(std::string_view id) {
  return tagged('D', id);
}

std::string thread(std::uint64_t account, char kind, std::uint64_t hash) {
  std::string key = account_prefix(account);
  key.push_back(kind);
  put_be(key, hash);
  return key;
}

std::string idempotency(char scope, std::uint64_t account, std::string_view key) {
  std::string out(1, scope);
  put_be(out, account);
  out.append(key);
  return out;
}

std::optional<MessageKey> parse_message(std::string_view key) {
  if (key.size() != kMessageKeyBytes) return std::nullopt;
  return MessageKey{*get_u64(key, 0), *get_u64(key, 8), *get_u32(key, 16)};
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = end.back();
    if (static_cast<unsigned char>(last) != 0xff) {
      last = static_cast<char>(static_cast<unsigned char>(last) + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace tessera::store::keys
