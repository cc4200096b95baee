// Content digests (OpenSSL EVP). The store names each raw message by its SHA-256, so identical
// bytes are kept once however many recipients or copies refer to them.
#pragma once

#include <string>
#include <string_view>

namespace tessera::crypto {

// The 32 raw bytes of SHA-256(data). Aborts if OpenSSL cannot digest (out of memory).
std::string sha256(std::string_view data);

// SHA-256 of data given in pieces (a 50 MB message read from its spool chunk by chunk).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string finish();  // the 32 raw bytes; the object is spent

 private:
  void* context_;  // EVP_MD_CTX
};

// Lower-case hexadecimal of `bytes` (for logs and file names).
std::string hex(std::string_view bytes);

}  // namespace tessera::crypto
