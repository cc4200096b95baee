// Inbound.Deliver (proto/tessera/inbound/v1/inbound.proto): the pipeline for the relay and the
// poller. gRPC's synchronous API reads the stream on its bounded thread pool into a Spool; the
// recipients and the pipeline then run on the service's io_context like an LMTP transaction,
// and the gRPC thread waits for them.
#pragma once

#include "base/asio.hpp"
#include "settings.hpp"
#include "tessera/inbound/v1/inbound.grpc.pb.h"

namespace tessera::smtpin {

class InboundService final : public inbound::v1::Inbound::Service {
 public:
  InboundService(asio::io_context& io, const Settings& settings) : io_(io), settings_(settings) {}

  grpc::Status Deliver(grpc::ServerContext* context,
                       grpc::ServerReader<inbound::v1::DeliverRequest>* reader,
                       inbound::v1::DeliverReply* reply) override;

 private:
  asio::io_context& io_;
  const Settings& settings_;
};

}  // namespace tessera::smtpin
