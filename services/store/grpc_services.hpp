// The gRPC face of the store's mail services: thin adapters from tessera.store.v1 requests to
// MessageOps, MailboxOps and ChangeOps, answering errors with rpc::to_status.
//
// Threading: unary and client-streaming calls use gRPC's synchronous API on its bounded thread
// pool (ServerOptions::max_threads). RocksDB calls block, and concurrent synced writers on
// different threads are what RocksDB groups into one fsync (group commit); an async front would
// only move the blocking elsewhere. Watch uses the callback API so idle watchers hold no thread.
#pragma once

#include "changes.hpp"
#include "context.hpp"
#include "mailboxes.hpp"
#include "maildrop_locks.hpp"
#include "messages.hpp"
#include "tessera/store/v1/changes.grpc.pb.h"
#include "tessera/store/v1/mailboxes.grpc.pb.h"
#include "tessera/store/v1/messages.grpc.pb.h"
#include "watch.hpp"

namespace tessera::store {

class MessagesService final : public v1::Messages::Service {
 public:
  explicit MessagesService(Context& context) : ops_(context) {}
  grpc::Status Append(grpc::ServerContext*, grpc::ServerReader<v1::AppendRequest>* reader,
                      v1::AppendReply* reply) override;
  grpc::Status Deliver(grpc::ServerContext*, grpc::ServerReader<v1::DeliverRequest>* reader,
                       v1::DeliverReply* reply) override;
  grpc::Status List(grpc::ServerContext*, const v1::ListMessagesRequest* request,
                    grpc::ServerWriter<v1::ListMessagesReply>* writer) override;
  grpc::Status GetBody(grpc::ServerContext*, const v1::GetBodyRequest* request,
                       grpc::ServerWriter<v1::GetBodyReply>* writer) override;
  grpc::Status GetBodies(grpc::ServerContext*, const v1::GetBodiesRequest* request,
                         v1::GetBodiesReply* reply) override;
  grpc::Status StoreFlags(grpc::ServerContext*, const v1::StoreFlagsRequest* request,
                          v1::StoreFlagsReply* reply) override;
  grpc::Status Copy(grpc::ServerContext*, const v1::CopyRequest* request,
                    v1::CopyReply* reply) override;
  grpc::Status Move(grpc::ServerContext*, const v1::CopyRequest* request,
                    v1::CopyReply* reply) override;
  grpc::Status Expunge(grpc::ServerContext*, const v1::ExpungeRequest* request,
                       v1::ExpungeReply* reply) override;
  grpc::Status MoveToTrash(grpc::ServerContext*, const v1::MoveToTrashRequest* request,
                           v1::CopyReply* reply) override;
  grpc::Status SetComment(grpc::ServerContext*, const v1::SetCommentRequest* request,
                          v1::SetCommentReply* reply) override;

 private:
  MessageOps ops_;
};

class MailboxesService final : public v1::Mailboxes::Service {
 public:
  explicit MailboxesService(Context& context) : ops_(context), maildrop_locks_(context) {}
  grpc::Status ListMailboxes(grpc::ServerContext*, const v1::ListMailboxesRequest* request,
                             v1::ListMailboxesReply* reply) override;
  grpc::Status GetMailboxStatus(grpc::ServerContext*, const v1::GetMailboxStatusRequest* request,
                                v1::MailboxStatus* reply) override;
  grpc::Status CreateMailbox(grpc::ServerContext*, const v1::CreateMailboxRequest* request,
                             v1::Mailbox* reply) override;
  grpc::Status RenameMailbox(grpc::ServerContext*, const v1::RenameMailboxRequest* request,
                             v1::Mailbox* reply) override;
  grpc::Status DeleteMailbox(grpc::ServerContext*, const v1::DeleteMailboxRequest* request,
                             v1::DeleteMailboxReply* reply) override;
  grpc::Status SetSubscribed(grpc::ServerContext*, const v1::SetSubscribedRequest* request,
                             v1::SetSubscribedReply* reply) override;
  grpc::Status ClaimRecent(grpc::ServerContext*, const v1::ClaimRecentRequest* request,
                           v1::ClaimRecentReply* reply) override;
  grpc::Status LockMaildrop(grpc::ServerContext*, const v1::LockMaildropRequest* request,
                            v1::LockMaildropReply* reply) override;
  grpc::Status RenewMaildropLock(grpc::ServerContext*, const v1::RenewMaildropLockRequest* request,
                                 v1::LockMaildropReply* reply) override;
  grpc::Status UnlockMaildrop(grpc::ServerContext*, const v1::UnlockMaildropRequest* request,
                              v1::UnlockMaildropReply* reply) override;

 private:
  MailboxOps ops_;
  MaildropLocks maildrop_locks_;  // POP3 IN-USE; in memory, one per store process
};

class ChangesService final : public v1::Changes::WithCallbackMethod_Watch<v1::Changes::Service> {
 public:
  explicit ChangesService(Context& context) : ops_(context), hub_(context) {}
  grpc::Status ListChanges(grpc::ServerContext*, const v1::ListChangesRequest* request,
                           v1::ListChangesReply* reply) override;
  grpc::ServerWriteReactor<v1::WatchEvent>* Watch(grpc::CallbackServerContext*,
                                                  const v1::WatchRequest* request) override;
  WatchHub& hub() { return hub_; }

 private:
  ChangeOps ops_;
  WatchHub hub_;
};

}  // namespace tessera::store
