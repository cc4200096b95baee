#include "crypto/digest.hpp"

#include <cstdlib>

#include <openssl/evp.h>

namespace tessera::crypto {

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length,
                 EVP_sha256(), nullptr) != 1 ||
      length != out.size()) {
    std::abort();  // only on allocation failure inside OpenSSL
  }
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace tessera::crypto
