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

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), EVP_sha256(), nullptr) != 1)
    std::abort();
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
}

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data.data(), data.size()) != 1)
    std::abort();
}

std::string Sha256::finish() {
  std::string out(32, '\0');
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_),
                         reinterpret_cast<unsigned char*>(out.data()), &length) != 1)
    std::abort();
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
