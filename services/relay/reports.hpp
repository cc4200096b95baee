// Sending a delivery status notification (RFC 3464) to an envelope sender: the relay's bounces,
// delay warnings and "relayed" notices. From <> so that no notice can ever cause another
// (RFC 5321 §4.5.5); a hosted sender gets it through smtp-in's pipeline (its filters apply),
// anybody else through the queue.
#pragma once

#include <chrono>
#include <string>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "smtp/dsn.hpp"
#include "store_client.hpp"

namespace tessera::relay {

struct ReportSender {
  const Clients* clients = nullptr;
  std::chrono::milliseconds timeout{30000};
  std::string hostname;  // our name: HELO and Received of the notice
  std::string spool_directory;
  std::size_t spool_memory = std::size_t{1} << 20;
};

// `key` is the idempotency key of the notice, so that a worker that crashes after sending it
// and tries the entry again sends nothing twice (the store and smtp-in keep keys for a day).
awaitable<Status> send_report(const ReportSender& sender, const smtp::DsnReport& report,
                              const std::string& key);

}  // namespace tessera::relay
