// The imap service's connection to the store: one channel for the process, stubs per service.
#pragma once

#include <memory>
#include <string>

#include "rpc/client.hpp"
#include "tessera/store/v1/changes.grpc.pb.h"
#include "tessera/store/v1/directory.grpc.pb.h"
#include "tessera/store/v1/mailboxes.grpc.pb.h"
#include "tessera/store/v1/messages.grpc.pb.h"

namespace tessera::imap {

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

}  // namespace tessera::imap
