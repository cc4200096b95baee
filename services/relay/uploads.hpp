// The two client-streamed calls that hand a message on: smtp-in's Inbound.Deliver (hosted
// recipients) and the store's Queue.Enqueue (remote ones). Each sends its envelope or header
// first, then the bytes in 1 MiB chunks (the limit both protos set), so a 50 MB message never
// sits in one gRPC message.
#pragma once

#include <chrono>
#include <string>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "smtp/spool.hpp"
#include "store_client.hpp"

namespace tessera::relay {

// Both send `prefix` (header fields: our Received, DKIM-Signature) followed by `body`.
awaitable<Result<inbound::v1::DeliverReply>> send_inbound(const Clients& clients,
                                                          std::chrono::milliseconds timeout,
                                                          inbound::v1::Envelope envelope,
                                                          const std::string& prefix,
                                                          const smtp::Spool& body);

awaitable<Result<store::v1::EnqueueReply>> send_queue(const Clients& clients,
                                                      std::chrono::milliseconds timeout,
                                                      store::v1::EnqueueHeader header,
                                                      const std::string& prefix,
                                                      const smtp::Spool& body);

}  // namespace tessera::relay
