#include "crypto/random.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace tessera::crypto {

std::string base64url(std::string_view bytes) {
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

std::string random_token(std::size_t bytes) {
  if (bytes > kMaxTokenBytes) {
    std::fputs("crypto: random_token asked for more than 1 MiB\n", stderr);
    std::abort();
  }
  std::string raw(bytes, '\0');
  if (bytes > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::fputs("crypto: RAND_bytes failed; refusing to hand out a guessable token\n", stderr);
    std::abort();
  }
  return base64url(raw);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    // Same work as an equal-length comparison of `a`, so the time reveals only a's length.
    (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tessera::crypto
