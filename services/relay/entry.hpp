// One leased queue entry's way through an attempt, apart from the network: its body from the
// store, its envelope for the client engine, and the end — per-recipient results for Complete,
// expiry at the end of the lifetime, and the sender's notices (RFC 3464) — for delivery.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "remote.hpp"
#include "rpc/keeper.hpp"
#include "smtp/spool.hpp"
#include "tessera/store/v1/queue.pb.h"

namespace tessera::relay {

struct DeliverySettings;

struct EntryBody {
  smtp::Spool spool;
  bool eight_bit = false;  // a byte over 127: BODY=8BITMIME where offered (RFC 6152 §3)
};

// The whole message of a leased entry (ReadBody), into a Spool so a 50 MB body is on disk.
awaitable<Result<EntryBody>> read_body(const DeliverySettings& settings,
                                       const store::v1::LeasedEntry& leased);

// MAIL FROM for the entry: its sender, SIZE, BODY, SMTPUTF8 and DSN's RET/ENVID (the client
// engine leaves out what the server does not offer).
smtp::MailFrom mail_of(const store::v1::QueueEntry& entry, bool eight_bit);

// RCPT TO for recipient `index`; nullopt for an address the queue holds that does not parse.
std::optional<smtp::RcptTo> rcpt_of(const store::v1::QueueRecipient& recipient);

// What one recipient got in this attempt.
struct Tried {
  int index = 0;  // into the entry's header recipients
  RecipientReply reply;
};

// Sends the notices the results call for, then Complete. A notice that cannot be sent keeps
// its recipients pending (a bounce) or unwarned (a delay warning), so the next attempt sends it.
awaitable<void> finish(const DeliverySettings& settings, const store::v1::LeasedEntry& leased,
                       const EntryBody& body, const std::vector<Tried>& tried);

// Gives the entry back without results, due at `when_ms` (the body could not be read).
awaitable<void> retry_later(const DeliverySettings& settings, const store::v1::LeasedEntry& leased,
                            std::int64_t when_ms, std::string reason);

std::int64_t now_ms();

// Keeps the entry's lease while an attempt runs: Queue.Renew every third of delivery.lease, so
// an attempt that waits for its destination or talks to a slow MX longer than the lease is not
// handed to another worker (or to this one's next Lease) and sent twice. lost() once the store
// says the lease is someone else's: the attempt must not send any more.
class LeaseKeeper {
 public:
  LeaseKeeper(const DeliverySettings& settings, const store::v1::LeasedEntry& leased,
              const asio::any_io_executor& executor);
  bool lost() const { return keeper_.lost(); }

 private:
  rpc::Keeper keeper_;
};

}  // namespace tessera::relay
