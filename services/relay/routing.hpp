// Where a submitted message goes (design.md §3 step 4): hosted recipients through smtp-in's
// pipeline (Inbound.Deliver: filters apply, no antispam for authenticated mail), every other one
// into the store's durable queue for the delivery workers. One idempotency key for both, made
// from the submitter, the envelope and the bytes, so a client that resubmits after a lost reply
// gets neither a second local copy nor a second queue entry.
#pragma once

#include <vector>

#include "directory/recipient.hpp"
#include "identity.hpp"
#include "settings.hpp"
#include "smtp/server.hpp"

namespace tessera::relay {

struct Submission {
  const smtp::SessionInfo* session = nullptr;
  smtp::Transaction* transaction = nullptr;
  const Identity* identity = nullptr;
  std::vector<directory::Recipient> local;
  std::vector<smtp::RcptTo> remote;
  std::string from_domain;  // of the first From address, lower case: DKIM's d= (signing.hpp)
};

// The one SMTP reply: 250 once every copy is stored (local) or queued (remote).
awaitable<smtp::Reply> route(const Settings& settings, Submission& submission);

}  // namespace tessera::relay
