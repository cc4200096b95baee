// TlsContext: the server's TLS configuration (certificate chain + key) as an OpenSSL context,
// reloadable without a restart (design.md §6: "certificates reloadable without restart").
// Each connection takes current() when its handshake starts and keeps that context for its
// lifetime; reload() only changes what later handshakes get.
//
// Policy: TLS 1.2 minimum, forward-secret AEAD ciphers for TLS 1.2 (Mozilla "intermediate"),
// OpenSSL's TLS 1.3 suites, no compression (CRIME), no renegotiation, server cipher order.
//
// Thread safety: current() and reload() may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl.hpp>

#include "base/asio.hpp"
#include "base/result.hpp"

namespace tessera::net {

// The configuration keys named in error messages, so an operator knows what to change.
struct TlsConfigKeys {
  std::string cert = "tls.cert";
  std::string key = "tls.key";
};

class TlsContext {
 public:
  // Reads a PEM certificate chain (leaf first, then intermediates) and a PEM private key.
  // Errors (code "net.tls_config") are one line naming the file and what to fix, e.g.
  //   cannot read TLS certificate /x/cert.pem: No such file or directory (set tls.cert)
  // A key that does not belong to the certificate is an error; so is an encrypted key
  // (there is nobody to type a passphrase).
  static Result<TlsContext> load(std::string cert_file, std::string key_file,
                                 TlsConfigKeys keys = {});

  // Re-reads both files and, only if they load cleanly, swaps the new context in. On error
  // the old context stays in use and the error is returned.
  Status reload();

  // The context for a new handshake. Never null.
  std::shared_ptr<asio::ssl::context> current() const;

  const std::string& cert_file() const { return state_->cert_file; }
  const std::string& key_file() const { return state_->key_file; }

 private:
  struct State {
    std::string cert_file;
    std::string key_file;
    TlsConfigKeys keys;
    mutable std::mutex mutex;
    std::shared_ptr<asio::ssl::context> context;  // guarded by mutex
  };
  explicit TlsContext(std::unique_ptr<State> state) : state_(std::move(state)) {}

  std::unique_ptr<State> state_;
};

// Builds a server context from PEM files with the policy above. Exposed for tests and tools.
Result<std::shared_ptr<asio::ssl::context>> make_server_context(const std::string& cert_file,
                                                                const std::string& key_file,
                                                                const TlsConfigKeys& keys);

}  // namespace tessera::net
