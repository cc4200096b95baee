// The runtime every Tessera service main uses (style.md §3 "thin mains"): command line,
// configuration (file + TESSERA_<SERVICE>_* overrides), logging, metrics, the TLS certificate,
// listeners with PROXY protocol and connection limits, and the signal-driven lifecycle.
// Every start-up failure ends the process with one line on stderr naming what to fix.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "config/config.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_limiter.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "service/lifecycle.hpp"

namespace tessera::service {

struct Info {
  std::string name;     // "imap": config keys TESSERA_IMAP_*, binary tessera-imap
  std::string summary;  // one line for --help
};

// Keys of services that accept client connections: tls.cert, tls.key, limits.connections,
// limits.connections_per_ip, proxy.enabled, proxy.trusted, and threads.
void add_protocol_keys(config::Schema& schema);

// A protocol session: runs one connection to its end and says how it ended (metrics label).
using SessionHandler = std::function<awaitable<metrics::ConnectionResult>(net::Connection)>;

// How one listener differs from the service's others.
struct ListenSpec {
  bool implicit_tls = false;  // RFC 8314: IMAPS 993, POP3S 995, submissions 465
  std::string busy_reply;     // sent to connections over the limits (plain listeners)
};

class Runtime {
 public:
  Runtime(asio::io_context& io, config::Config config, std::string name);
  // Runs the exit hooks: after the io_context stopped, before it is destroyed.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  asio::io_context& io() { return io_; }
  const config::Config& config() const { return config_; }
  Lifecycle& lifecycle() { return lifecycle_; }
  // The certificate from tls.cert and tls.key (null for services without those keys).
  const std::shared_ptr<net::TlsContext>& tls() const { return tls_; }

  // Loads tls.cert/tls.key and the limits; called by main before the service's setup.
  Status prepare();
  // Binds the endpoint configured at `key` (an empty value leaves it off) and serves it.
  Status listen(const std::string& key, const ListenSpec& spec, SessionHandler handler);
  // Work for the end of the process while the io_context still exists (stopped): release what
  // holds its timers and sockets, such as a service's background workers kept in statics.
  // Runs in reverse order of registration, also when start-up failed.
  void on_exit(std::function<void()> hook) { exit_hooks_.push_back(std::move(hook)); }
  // Logs the bound listeners (after the whole setup has succeeded).
  void announce() const;

 private:
  Result<net::ListenerOptions> options_for(const std::string& key, const ListenSpec& spec);

  asio::io_context& io_;
  config::Config config_;
  std::string name_;
  Lifecycle lifecycle_;
  std::shared_ptr<net::TlsContext> tls_;
  std::shared_ptr<net::ConnectionLimiter> limiter_;
  std::vector<std::unique_ptr<metrics::Connections>> connection_metrics_;
  std::vector<std::string> listening_;
  std::vector<std::function<void()>> exit_hooks_;
};

// The service's own part of start-up: bind its listeners (runtime.listen), start its clients.
using Setup = std::function<Status(Runtime&)>;

// Parses argv (--config FILE, --print-config, --config-doc, --help, --version), loads the
// configuration against `schema` (plus the common keys), runs `setup`, then serves until the
// drain ends. Returns the process exit status: 0 after a clean drain, 2 for a configuration
// error, 1 for any other start-up failure.
int main(int argc, char** argv, const Info& info, config::Schema schema, const Setup& setup);

}  // namespace tessera::service
