#include "crypto/password.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include <argon2.h>
#include <openssl/rand.h>

namespace tessera::crypto {
namespace {

constexpr std::size_t kMinSaltBytes = ARGON2_MIN_SALT_LENGTH;
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::uint32_t kMaxHashBytes = 64;

Error bad_hash(std::string_view why) {
  // Never echo the hash itself: messages end up in logs.
  return make_error("crypto.bad_hash", "password hash is malformed: " + std::string(why));
}

Error argon2_failure(int code, std::string_view error_code) {
  if (code == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return make_error("crypto.resources", "argon2: not enough memory for the hash");
  }
  return make_error(std::string(error_code), std::string("argon2: ") + argon2_error_message(code));
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t at; (at = text.find(separator)) != std::string_view::npos;) {
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + 1);
  }
  parts.push_back(text);
  return parts;
}

// Decoded size of unpadded standard base64 (the alphabet libargon2 writes), or nullopt.
std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.empty() || text.size() % 4 == 1 || text.find_first_not_of(alphabet) != text.npos) {
    return std::nullopt;
  }
  return text.size() * 3 / 4;
}

// "m=65536" with the given name: a decimal without sign or leading zeros.
std::optional<std::uint32_t> parse_field(std::string_view text, std::string_view name) {
  if (!text.starts_with(name) || text.size() <= name.size() + 1 || text[name.size()] != '=') {
    return std::nullopt;
  }
  const std::string_view digits = text.substr(name.size() + 1);
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() ||
      (digits.size() > 1 && digits[0] == '0') || digits[0] == '+') {
    return std::nullopt;
  }
  return value;
}

Status check_limits(const Params& params) {
  if (params.memory_kib > kMaxMemoryKib || params.iterations > kMaxIterations ||
      params.parallelism > kMaxParallelism || params.hash_bytes > kMaxHashBytes) {
    return make_error("crypto.bad_params",
                      "argon2 parameters above the limits (m ≤ 4 GiB, "
                      "t ≤ 100, p ≤ 64, hash ≤ 64 bytes)");
  }
  return {};
}

}  // namespace

Result<EncodedHash> parse_encoded(std::string_view encoded) {
  const auto parts = split(encoded, '$');
  if (parts.size() != 6 || !parts[0].empty()) {
    return bad_hash("expected $argon2id$v=19$m=..,t=..,p=..$salt$hash");
  }
  if (parts[1] != "argon2id") return bad_hash("not an argon2id hash");
  if (parts[2] != "v=19") return bad_hash("not Argon2 version 19");
  const auto fields = split(parts[3], ',');
  if (fields.size() != 3) return bad_hash("expected m=..,t=..,p=..");
  const auto memory = parse_field(fields[0], "m");
  const auto iterations = parse_field(fields[1], "t");
  const auto parallelism = parse_field(fields[2], "p");
  if (!memory || !iterations || !parallelism) return bad_hash("expected m=..,t=..,p=..");
  const auto salt = base64_decoded_size(parts[4]);
  const auto hash = base64_decoded_size(parts[5]);
  if (!salt || *salt < kMinSaltBytes || *salt > kMaxSaltBytes) return bad_hash("bad salt");
  if (!hash || *hash < ARGON2_MIN_OUTLEN || *hash > kMaxHashBytes) return bad_hash("bad hash");
  EncodedHash out{Params{*memory, *iterations, *parallelism, static_cast<std::uint32_t>(*hash)},
                  *salt};
  if (!check_limits(out.params) || out.params.iterations < 1 || out.params.parallelism < 1 ||
      out.params.memory_kib < 8 * out.params.parallelism) {
    return bad_hash("parameters out of range");
  }
  return out;
}

Result<std::string> hash_password(std::string_view password, const Params& params) {
  if (Status limits = check_limits(params); !limits) return limits.error();
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return make_error("crypto.random", "no randomness available for a password salt");
  }
  std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                        kSaltBytes, params.hash_bytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       params.hash_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return argon2_failure(rc, "crypto.bad_params");
  encoded.resize(encoded.find('\0'));  // argon2_encodedlen counts the terminator
  return encoded;
}

Result<bool> verify_password(std::string_view password, std::string_view encoded) {
  if (auto parsed = parse_encoded(encoded); !parsed) return parsed.error();
  const std::string terminated(encoded);  // libargon2 wants a C string
  const int rc = argon2id_verify(terminated.c_str(), password.data(), password.size());
  if (rc == ARGON2_OK) return true;
  if (rc == ARGON2_VERIFY_MISMATCH) return false;
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) return argon2_failure(rc, "crypto.resources");
  return bad_hash(argon2_error_message(rc));  // e.g. base64 that decodes to the wrong length
}

bool needs_rehash(std::string_view encoded, const Params& params) {
  const auto parsed = parse_encoded(encoded);
  return !parsed || parsed->params != params || parsed->salt_bytes != kSaltBytes;
}

}  // namespace tessera::crypto
