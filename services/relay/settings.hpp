// What every relay session shares, built once by setup() (service.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "reports.hpp"
#include "rpc/call_options.hpp"
#include "smtp/server.hpp"
#include "store_client.hpp"

namespace tessera::relay {

// RL-03: the engine's own recipient limit, the top of limits.max_recipients' range and of an
// account's max_recipients (directory.proto); the handler refuses at the account's value below.
inline constexpr std::size_t kMostRecipients = 100000;

struct Settings {
  smtp::ServerSettings submission;  // engine settings of both listeners (465 and 587)
  Clients* clients = nullptr;
  std::chrono::milliseconds store_timeout{10000};
  // AUTH only under TLS (RFC 8314 §3, RFC 4954 §4) unless a TLS-terminating proxy is in front.
  bool allow_plaintext_auth = false;
  // RL-03: messages one account may submit per sliding hour (0 = no limit) and recipients of
  // one message, for accounts without their own values (Identity).
  std::uint32_t messages_per_hour = 500;
  std::size_t max_recipients = 100;
  ReportSender reports;          // DSNs for hosted recipients that refuse after DATA
  std::function<void()> queued;  // a message went into the queue: wake the delivery workers
};

inline rpc::CallOptions store_call(const Settings& settings) {
  return store_call(settings.store_timeout);
}

}  // namespace tessera::relay
