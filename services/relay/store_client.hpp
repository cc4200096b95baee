// The relay's connections: the store (Directory for AUTH and sender identities, Queue for
// remote recipients) and smtp-in's Inbound.Deliver for local ones.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "rpc/client.hpp"
#include "tessera/inbound/v1/inbound.grpc.pb.h"
#include "tessera/store/v1/directory.grpc.pb.h"
#include "tessera/store/v1/queue.grpc.pb.h"

namespace tessera::relay {

struct Clients {
  Clients(const std::string& store_address, const std::string& inbound_address)
      : store(rpc::make_channel(store_address)),
        inbound_channel(rpc::make_channel(inbound_address)),
        directory(store::v1::Directory::NewStub(store)),
        queue(store::v1::Queue::NewStub(store)),
        inbound(inbound::v1::Inbound::NewStub(inbound_channel)) {}

  std::shared_ptr<grpc::Channel> store;
  std::shared_ptr<grpc::Channel> inbound_channel;
  std::unique_ptr<store::v1::Directory::Stub> directory;
  std::unique_ptr<store::v1::Queue::Stub> queue;
  std::unique_ptr<inbound::v1::Inbound::Stub> inbound;
};

// One call to the store or smtp-in: its deadline, waiting (within it) for one that restarts.
inline rpc::CallOptions store_call(std::chrono::milliseconds timeout) {
  rpc::CallOptions options;
  options.timeout = timeout;
  options.wait_for_ready = true;
  return options;
}

}  // namespace tessera::relay
