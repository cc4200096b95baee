// Key pairs (OpenSSL EVP) and the DNS record of their public half.
#include <cctype>
#include <memory>
#include <string>
#include <utility>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim/dkim.hpp"

namespace tessera::dkim {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

constexpr int kRsaBits = 2048;
constexpr int kMinRsaBits = 1024;  // RFC 8301 §3.2: verifiers must not accept shorter keys

Error bad_key(const Key& key, const std::string& why) {
  return make_error("dkim.bad_key", "DKIM key " + record_name(key) + ": " + why);
}

// What libopendkim must be able to put into the d= and s= tags as they are (RFC 6376 §3.5):
// dot-separated LDH labels. Full domain rules are the store's.
bool ldh_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      ++label;
    } else {
      return false;
    }
  }
  return label > 0;
}

Status check_names(const Key& key) {
  for (auto [what, name] : {std::pair{"domain", &key.domain}, {"selector", &key.selector}}) {
    if (!ldh_name(*name))
      return make_error("dkim.bad_name", std::string("DKIM ") + what + " \"" + *name +
                                             "\" must be dot-separated letters, digits and '-'");
  }
  return {};
}

// OpenSSL would ask a terminal for the passphrase of an encrypted key; we never have one.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

Result<Pkey> load_private_key(const Key& key) {
  Bio bio(BIO_new_mem_buf(key.private_key.data(), static_cast<int>(key.private_key.size())));
  if (!bio) return bad_key(key, "out of memory");
  Pkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!pkey) return bad_key(key, "the private key is not an unencrypted PEM key");
  const int type = EVP_PKEY_get_base_id(pkey.get());
  if (key.algorithm == Algorithm::rsa_sha256 && type != EVP_PKEY_RSA)
    return bad_key(key, "rsa-sha256 needs an RSA key");
  if (key.algorithm == Algorithm::ed25519_sha256 && type != EVP_PKEY_ED25519)
    return bad_key(key, "ed25519-sha256 needs an Ed25519 key (RFC 8463)");
  if (type == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey.get()) < kMinRsaBits)
    return bad_key(key, "an RSA key has at least 1024 bits (RFC 8301 §3.2)");
  return pkey;
}

std::string base64(const unsigned char* bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// RFC 6376 §3.6.1 p= for k=rsa: the DER SubjectPublicKeyInfo; RFC 8463 §4 for k=ed25519: the
// raw 32-byte public key.
Result<std::string> public_key_base64(const Key& key, EVP_PKEY* pkey) {
  if (key.algorithm == Algorithm::ed25519_sha256) {
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey, raw, &size) != 1 || size != sizeof raw)
      return bad_key(key, "no raw Ed25519 public key");
    return base64(raw, size);
  }
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(pkey, &der);
  if (size <= 0) return bad_key(key, "cannot encode the RSA public key");
  auto encoded = base64(der, static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return encoded;
}

}  // namespace

std::string_view algorithm_name(Algorithm algorithm) {
  return algorithm == Algorithm::ed25519_sha256 ? "ed25519-sha256" : "rsa-sha256";
}

std::string record_name(const Key& key) {
  return key.selector + "._domainkey." + key.domain;
}

Status validate(const Key& key) {
  if (auto names = check_names(key); !names) return names;
  auto pkey = load_private_key(key);
  if (!pkey) return pkey.error();
  return {};
}

Result<Key> generate(std::string domain, std::string selector, Algorithm algorithm) {
  Key key{std::move(domain), std::move(selector), algorithm, {}};
  if (auto names = check_names(key); !names) return names.error();
  Pkey pkey(algorithm == Algorithm::rsa_sha256
                ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(kRsaBits))
                : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return make_error("dkim.generate", "OpenSSL could not generate a DKIM key");
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error("dkim.generate", "OpenSSL could not write the DKIM key as PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  key.private_key.assign(data, static_cast<std::size_t>(size));
  return key;
}

Result<std::string> dns_record(const Key& key) {
  auto pkey = load_private_key(key);
  if (!pkey) return pkey.error();
  auto p = public_key_base64(key, pkey->get());
  if (!p) return p.error();
  const char* k = key.algorithm == Algorithm::ed25519_sha256 ? "ed25519" : "rsa";
  return "v=DKIM1; k=" + std::string(k) + "; p=" + *p;
}

}  // namespace tessera::dkim
