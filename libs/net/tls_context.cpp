#include "net/tls_context.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

namespace tessera::net {
namespace {

// Mozilla "intermediate" TLS 1.2 suites: ECDHE/DHE key exchange, AEAD only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

Error config_error(const std::string& message) {
  return make_error("net.tls_config", message);
}

// The newest OpenSSL error reason on this thread's queue, and an empty queue afterwards.
std::string openssl_reason(const char* fallback) {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error())
    last = e;
  const char* reason = last != 0 ? ERR_reason_error_string(last) : nullptr;
  return reason != nullptr ? reason : fallback;
}

// PEM files are a few KiB; a bound keeps a mistyped path (/dev/zero, a log file) harmless.
constexpr std::size_t kMaxPemBytes = 1 << 20;

Result<std::string> read_file(const std::string& path, const char* what, const std::string& key) {
  const auto fail = [&](const std::string& why) {
    return config_error(std::string("cannot read ") + what + " " + path + ": " + why + " (set " +
                        key + ")");
  };
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "rb"),
                                                          &std::fclose);
  if (!file) return fail(std::strerror(errno));
  std::string bytes;
  char chunk[4096];
  while (std::size_t got = std::fread(chunk, 1, sizeof chunk, file.get())) {
    bytes.append(chunk, got);
    if (bytes.size() > kMaxPemBytes) return fail("larger than 1 MiB, not a PEM file");
  }
  if (std::ferror(file.get())) return fail(std::strerror(errno));
  return bytes;
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

BioPtr memory_bio(const std::string& bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), &BIO_free);
}

// No terminal to ask for a passphrase: an encrypted key fails instead of blocking on stdin.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

// Leaf certificate first, then any intermediates, as SSL_CTX_use_certificate_chain_file does.
Status use_chain(SSL_CTX* ctx, const std::string& pem, const std::string& path,
                 const std::string& key) {
  BioPtr bio = memory_bio(pem);
  X509* leaf = PEM_read_bio_X509_AUX(bio.get(), nullptr, no_passphrase, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    X509_free(leaf);
    return config_error("cannot load TLS certificate " + path + ": " +
                        openssl_reason("no certificate") +
                        " (want a PEM certificate chain, leaf first; set " + key + ")");
  }
  X509_free(leaf);
  SSL_CTX_clear_chain_certs(ctx);
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return config_error("cannot load TLS certificate chain " + path + ": " +
                          openssl_reason("bad intermediate") + " (set " + key + ")");
    }
  }
  ERR_clear_error();  // the loop ends on "no start line", which is not an error
  return {};
}

Status use_key(SSL_CTX* ctx, const std::string& pem, const std::string& path,
               const TlsConfigKeys& keys, const std::string& cert_path) {
  BioPtr bio = memory_bio(pem);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (pkey == nullptr) {
    return config_error("cannot load TLS key " + path + ": " + openssl_reason("no key") +
                        " (want an unencrypted PEM private key; set " + keys.key + ")");
  }
  const int used = SSL_CTX_use_PrivateKey(ctx, pkey);
  EVP_PKEY_free(pkey);
  if (used != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return config_error("TLS key " + path + " does not match certificate " + cert_path + " (set " +
                        keys.key + " to the key of " + keys.cert + ")");
  }
  return {};
}

void apply_policy(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // NO_RENEGOTIATION refuses TLS 1.2 renegotiation both ways (a client-initiated one is a
  // cheap CPU attack); TLS 1.3 has none.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
  SSL_CTX_set_dh_auto(ctx, 1);  // DHE suites with RFC 7919 groups sized to the key
  SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);  // idle IMAP connections hold no buffers
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_server_context(const std::string& cert_file,
                                                                const std::string& key_file,
                                                                const TlsConfigKeys& keys) {
  auto cert_pem = read_file(cert_file, "TLS certificate", keys.cert);
  if (!cert_pem) return cert_pem.error();
  auto key_pem = read_file(key_file, "TLS key", keys.key);
  if (!key_pem) return key_pem.error();

  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  apply_policy(ctx);
  ERR_clear_error();
  if (Status s = use_chain(ctx, *cert_pem, cert_file, keys.cert); !s) return s.error();
  if (Status s = use_key(ctx, *key_pem, key_file, keys, cert_file); !s) return s.error();
  return context;
}

Result<TlsContext> TlsContext::load(std::string cert_file, std::string key_file,
                                    TlsConfigKeys keys) {
  auto context = make_server_context(cert_file, key_file, keys);
  if (!context) return context.error();
  auto state = std::make_unique<State>();
  state->cert_file = std::move(cert_file);
  state->key_file = std::move(key_file);
  state->keys = std::move(keys);
  state->context = std::move(*context);
  return TlsContext(std::move(state));
}

Status TlsContext::reload() {
  auto context = make_server_context(state_->cert_file, state_->key_file, state_->keys);
  if (!context) return context.error();
  std::lock_guard lock(state_->mutex);
  state_->context = std::move(*context);
  return {};
}

std::shared_ptr<asio::ssl::context> TlsContext::current() const {
  std::lock_guard lock(state_->mutex);
  return state_->context;
}

}  // namespace tessera::net
