// Randomness and comparisons for secrets: generated passwords and tokens, and comparing
// secrets without leaking through timing where they differ.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::crypto {

// `bytes` random bytes from OpenSSL RAND_bytes as unpadded base64url (RFC 4648 §5): safe in
// URLs, file names and config values; 16 bytes give 22 characters. If the system cannot
// provide randomness the process aborts: a token generator that fails quietly is worse.
// Asking for more than kMaxTokenBytes is a programming error and aborts too.
inline constexpr std::size_t kMaxTokenBytes = 1 << 20;
std::string random_token(std::size_t bytes);

// Whether a and b are equal, in time that depends only on their lengths (CRYPTO_memcmp).
// Unequal lengths still do a full-length comparison, so only the length is revealed.
bool constant_time_equal(std::string_view a, std::string_view b);

// RFC 4648 §5 base64url without padding.
std::string base64url(std::string_view bytes);

}  // namespace tessera::crypto
