#include "net/sasl.hpp"

#include <openssl/evp.h>

namespace tessera::net {

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > 16384) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') --size;  // EVP_DecodeBlock counts padding as data
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<PlainCredentials> parse_plain(std::string_view message) {
  const auto first = message.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  PlainCredentials out{std::string(message.substr(0, first)),
                       std::string(message.substr(first + 1, second - first - 1)),
                       std::string(message.substr(second + 1))};
  if (out.authcid.empty() || out.password.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

}  // namespace tessera::net
