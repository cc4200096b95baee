// What every pop3 session shares, built once by setup() (service.cpp).
#pragma once

#include <chrono>
#include <memory>

#include "net/tls_context.hpp"
#include "pop3/response.hpp"
#include "rpc/client.hpp"
#include "store_client/store_client.hpp"

namespace tessera::pop3d {

struct Settings {
  std::shared_ptr<net::TlsContext> tls;
  StoreClient* store = nullptr;
  std::chrono::milliseconds store_timeout{10000};
  std::chrono::milliseconds login_timeout{60000};
  // RFC 1939 §3: "an inactivity autologout timer MUST be of at least 10 minutes".
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
  // How long the store keeps a maildrop lock nobody renews (its pop3 process died).
  std::chrono::milliseconds lock_ttl{std::chrono::seconds(60)};
  // USER/PASS and AUTH only under TLS (RFC 2595 §2.1, RFC 8314) unless a proxy terminates TLS.
  bool allow_plaintext_auth = false;
  // pop3.client_workarounds: what RETR and TOP change for clients that break on malformed mail.
  pop3::ClientWorkarounds workarounds;
};

// One call to the store: its deadline.
inline rpc::CallOptions store_call(const Settings& settings) {
  rpc::CallOptions options;
  options.timeout = settings.store_timeout;
  return options;
}

}  // namespace tessera::pop3d
