// Content digests (OpenSSL EVP). The store names each raw message by its SHA-256, so identical
// bytes are kept once however many recipients or copies refer to them.
#pragma once

#include <string>
#include <string_view>

namespace tessera::crypto {

// The 32 raw bytes of SHA-256(data). Aborts if OpenSSL cannot digest (out of memory).
std::string sha256(std::string_view data);

// Lower-case hexadecimal of `bytes` (for logs and file names).
std::string hex(std::string_view bytes);

}  // namespace tessera::crypto
