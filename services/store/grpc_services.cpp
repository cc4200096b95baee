#include "grpc_services.hpp"

#include "errors.hpp"
#include "grpc_answer.hpp"
#include "message_data.hpp"
#include "rpc/status.hpp"

namespace tessera::store {

grpc::Status MessagesService::Append(grpc::ServerContext*,
                                     grpc::ServerReader<v1::AppendRequest>* reader,
                                     v1::AppendReply* reply) {
  v1::AppendRequest first;
  if (!reader->Read(&first) || first.part_case() != v1::AppendRequest::kHeader)
    return rpc::to_status(invalid_argument("an Append starts with its header"));
  auto body = read_body(reader, first.header().declared_size(), kMaxMessageBytes);
  if (!body) return rpc::to_status(body.error());
  return answer(ops_.append(first.header(), std::move(*body)), reply);
}

grpc::Status MessagesService::Deliver(grpc::ServerContext*,
                                      grpc::ServerReader<v1::DeliverRequest>* reader,
                                      v1::DeliverReply* reply) {
  v1::DeliverRequest first;
  if (!reader->Read(&first) || first.part_case() != v1::DeliverRequest::kHeader)
    return rpc::to_status(invalid_argument("a Deliver starts with its header"));
  auto body =
      read_body(reader, first.header().declared_size(), kMaxMessageBytes + kDeliverHeadroom);
  if (!body) return rpc::to_status(body.error());
  return answer(ops_.deliver(first.header(), std::move(*body)), reply);
}

grpc::Status MessagesService::List(grpc::ServerContext*, const v1::ListMessagesRequest* request,
                                   grpc::ServerWriter<v1::ListMessagesReply>* writer) {
  auto listed =
      ops_.list(*request, [&](v1::ListMessagesReply& batch) { return writer->Write(batch); });
  return listed ? grpc::Status::OK : rpc::to_status(listed.error());
}

grpc::Status MessagesService::GetBody(grpc::ServerContext*, const v1::GetBodyRequest* request,
                                      grpc::ServerWriter<v1::GetBodyReply>* writer) {
  auto got = ops_.get_body(*request, [&](v1::GetBodyReply& chunk) { return writer->Write(chunk); });
  return got ? grpc::Status::OK : rpc::to_status(got.error());
}

grpc::Status MessagesService::GetBodies(grpc::ServerContext*, const v1::GetBodiesRequest* request,
                                        v1::GetBodiesReply* reply) {
  return answer(ops_.get_bodies(*request), reply);
}

grpc::Status MessagesService::StoreFlags(grpc::ServerContext*, const v1::StoreFlagsRequest* request,
                                         v1::StoreFlagsReply* reply) {
  return answer(ops_.store_flags(*request), reply);
}

grpc::Status MessagesService::Copy(grpc::ServerContext*, const v1::CopyRequest* request,
                                   v1::CopyReply* reply) {
  return answer(ops_.copy(*request, false), reply);
}

grpc::Status MessagesService::Move(grpc::ServerContext*, const v1::CopyRequest* request,
                                   v1::CopyReply* reply) {
  return answer(ops_.copy(*request, true), reply);
}

grpc::Status MessagesService::Expunge(grpc::ServerContext*, const v1::ExpungeRequest* request,
                                      v1::ExpungeReply* reply) {
  return answer(ops_.expunge(*request), reply);
}

grpc::Status MessagesService::MoveToTrash(grpc::ServerContext*,
                                          const v1::MoveToTrashRequest* request,
                                          v1::CopyReply* reply) {
  return answer(ops_.move_to_trash(*request), reply);
}

grpc::Status MessagesService::SetComment(grpc::ServerContext*, const v1::SetCommentRequest* request,
                                         v1::SetCommentReply* reply) {
  return answer(ops_.set_comment(*request), reply);
}

grpc::Status MailboxesService::ListMailboxes(grpc::ServerContext*,
                                             const v1::ListMailboxesRequest* request,
                                             v1::ListMailboxesReply* reply) {
  return answer(ops_.list(*request), reply);
}

grpc::Status MailboxesService::GetMailboxStatus(grpc::ServerContext*,
                                                const v1::GetMailboxStatusRequest* request,
                                                v1::MailboxStatus* reply) {
  return answer(ops_.status(*request), reply);
}

grpc::Status MailboxesService::CreateMailbox(grpc::ServerContext*,
                                             const v1::CreateMailboxRequest* request,
                                             v1::Mailbox* reply) {
  return answer(ops_.create(*request), reply);
}

grpc::Status MailboxesService::RenameMailbox(grpc::ServerContext*,
                                             const v1::RenameMailboxRequest* request,
                                             v1::Mailbox* reply) {
  return answer(ops_.rename(*request), reply);
}

grpc::Status MailboxesService::DeleteMailbox(grpc::ServerContext*,
                                             const v1::DeleteMailboxRequest* request,
                                             v1::DeleteMailboxReply* reply) {
  return answer(ops_.remove(*request), reply);
}

grpc::Status MailboxesService::SetSubscribed(grpc::ServerContext*,
                                             const v1::SetSubscribedRequest* request,
                                             v1::SetSubscribedReply* reply) {
  return answer(ops_.subscribe(*request), reply);
}

grpc::Status MailboxesService::ClaimRecent(grpc::ServerContext*,
                                           const v1::ClaimRecentRequest* request,
                                           v1::ClaimRecentReply* reply) {
  return answer(ops_.claim_recent(*request), reply);
}

grpc::Status MailboxesService::LockMaildrop(grpc::ServerContext*,
                                            const v1::LockMaildropRequest* request,
                                            v1::LockMaildropReply* reply) {
  return answer(maildrop_locks_.lock(*request), reply);
}

grpc::Status MailboxesService::RenewMaildropLock(grpc::ServerContext*,
                                                 const v1::RenewMaildropLockRequest* request,
                                                 v1::LockMaildropReply* reply) {
  return answer(maildrop_locks_.renew(*request), reply);
}

grpc::Status MailboxesService::UnlockMaildrop(grpc::ServerContext*,
                                              const v1::UnlockMaildropRequest* request,
                                              v1::UnlockMaildropReply* reply) {
  return answer(maildrop_locks_.unlock(*request), reply);
}

grpc::Status ChangesService::ListChanges(grpc::ServerContext*,
                                         const v1::ListChangesRequest* request,
                                         v1::ListChangesReply* reply) {
  return answer(ops_.list(*request), reply);
}

grpc::ServerWriteReactor<v1::WatchEvent>* ChangesService::Watch(grpc::CallbackServerContext*,
                                                                const v1::WatchRequest* request) {
  return hub_.start(*request);
}

}  // namespace tessera::store
