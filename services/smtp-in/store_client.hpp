// smtp-in's connection to the store: one channel for the process.
#pragma once

#include <memory>
#include <string>

#include "rpc/client.hpp"
#include "tessera/store/v1/directory.grpc.pb.h"
#include "tessera/store/v1/messages.grpc.pb.h"

namespace tessera::smtpin {

struct StoreClient {
  explicit StoreClient(const std::string& address)
      : channel(rpc::make_channel(address)),
        directory(store::v1::Directory::NewStub(channel)),
        messages(store::v1::Messages::NewStub(channel)) {}

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<store::v1::Directory::Stub> directory;
  std::unique_ptr<store::v1::Messages::Stub> messages;
};

}  // namespace tessera::smtpin
