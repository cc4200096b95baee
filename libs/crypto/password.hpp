// Password hashing with Argon2id (design.md §6 "Passwords hashed with Argon2id"), in the
// standard encoded form `$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>` that other tools
// (Dovecot's ARGON2ID scheme, PHP password_verify, libsodium) read too.
//
// Hashing is deliberately slow and memory-hard: call these on a worker pool, never on an I/O
// thread (style.md §6). Memory per call is Params::memory_kib.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tessera::crypto {

// RFC 9106 §4 recommends Argon2id and, where 2 GiB per hash is too much, its second option:
// t=3 passes, m=64 MiB, 128-bit salt, 256-bit tag, p=4 lanes. We keep t, m, salt and tag and
// use one lane: a server verifies many logins at once on a worker pool, so parallelism comes
// from the pool rather than from threads inside one hash; memory hardness is unchanged.
struct Params {
  std::uint32_t memory_kib = 64 * 1024;
  std::uint32_t iterations = 3;
  std::uint32_t parallelism = 1;
  std::uint32_t hash_bytes = 32;

  friend bool operator==(const Params&, const Params&) = default;
};

inline constexpr std::size_t kSaltBytes = 16;  // RFC 9106 §3.1: 128 bits suffice

// What a stored hash may ask for. Above this a record is treated as malformed, so a corrupt or
// tampered hash cannot make verify allocate or spin without bound; hash_password refuses the
// same, so we never write a hash we would not verify.
inline constexpr std::uint32_t kMaxMemoryKib = 4 * 1024 * 1024;  // 4 GiB
inline constexpr std::uint32_t kMaxIterations = 100;
inline constexpr std::uint32_t kMaxParallelism = 64;

// The parameters and sizes an encoded hash declares.
struct EncodedHash {
  Params params;
  std::size_t salt_bytes = 0;
};

// A fresh 16-byte salt from OpenSSL RAND_bytes, then Argon2id. Errors: crypto.bad_params,
// crypto.random (no randomness), crypto.resources (memory).
Result<std::string> hash_password(std::string_view password, const Params& params = Params{});

// true when `password` matches, false when it does not. A string that is not a well-formed
// argon2id v19 hash within the limits above is crypto.bad_hash; memory exhaustion is
// crypto.resources. The comparison inside libargon2 is constant-time.
Result<bool> verify_password(std::string_view password, std::string_view encoded);

// True when `encoded` was made with parameters other than `params` (or is malformed), so the
// caller re-hashes the password it has just verified and stores the new hash.
bool needs_rehash(std::string_view encoded, const Params& params = Params{});

// Parses `$argon2id$v=19$m=..,t=..,p=..$salt$hash` strictly (crypto.bad_hash).
Result<EncodedHash> parse_encoded(std::string_view encoded);

}  // namespace tessera::crypto
