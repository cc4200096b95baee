// The one delivery pipeline (design.md §3): every message smtp-in accepts — from port 25, LMTP,
// and later Inbound.Deliver for the relay and the poller — goes through the same chain of
// stages, each deciding for the recipients still open:
//
//   loops → (antispam, whitelist, filters, vacation, forward, notify: later issues) → store
//
// The last stage makes one store.Deliver call for the whole message (all placements or none,
// synced to disk before it returns): only then does a recipient get its 250.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "directory/recipient.hpp"
#include "settings.hpp"
#include "smtp/server.hpp"
#include "smtp/spool.hpp"

namespace tessera::smtpin {

struct Delivery {
  std::string id;  // the transaction id: "queued as", Received "id", idempotency key
  const smtp::SessionInfo* session = nullptr;
  const smtp::MailFrom* mail = nullptr;          // reverse-path and DSN parameters (RET, ENVID)
  const smtp::Spool* body = nullptr;             // the message as received
  std::vector<directory::Recipient> recipients;  // with NOTIFY/ORCPT; outcome.code 0 = still open
  std::int64_t arrival_unix_ms = 0;
  // The store's idempotency key: "smtp-in:<id>" for SMTP, the caller's for Inbound.Deliver.
  std::string idempotency_key;
  std::string protocol;  // Received "with" when the caller names it (Inbound.Deliver)
  // LMTP answers each recipient; SMTP has one reply, so a failure that is not every
  // recipient's must hold the whole message back (temporarily) rather than lose a copy.
  bool per_recipient_replies = false;
};

// Runs every stage; afterwards every recipient has an outcome.
awaitable<void> run_pipeline(const Settings& settings, Delivery& delivery);

// The SMTP reply for the whole message: 250 if any recipient got the message, else the first
// recipient's failure.
smtp::Reply combined_reply(const Delivery& delivery);

}  // namespace tessera::smtpin
