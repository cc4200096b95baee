// A front end's connection to the store: one gRPC channel for the process and a stub of each
// store service it may call (proto/tessera/store/v1). Stubs are cheap; a service uses those it
// needs. The relay, which also talks to smtp-in, has its own Clients (services/relay).
#pragma once

#include <memory>
#include <string>

#include "rpc/client.hpp"
#include "tessera/store/v1/changes.grpc.pb.h"
#include "tessera/store/v1/directory.grpc.pb.h"
#include "tessera/store/v1/mailboxes.grpc.pb.h"
#include "tessera/store/v1/messages.grpc.pb.h"

namespace tessera {

struct StoreClient {
  explicit StoreClient(const std::string& address)
      : channel(rpc::make_channel(address)),
        directory(store::v1::Directory::NewStub(channel)),
        mailboxes(store::v1::Mailboxes::NewStub(channel)),
        messages(store::v1::Messages::NewStub(channel)),
        changes(store::v1::Changes::NewStub(channel)) {}

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<store::v1::Directory::Stub> directory;
  std::unique_ptr<store::v1::Mailboxes::Stub> mailboxes;
  std::unique_ptr<store::v1::Messages::Stub> messages;
  std::unique_ptr<store::v1::Changes::Stub> changes;
};

}  // namespace tessera
