#include "queue_grpc.hpp"

#include "grpc_answer.hpp"

namespace tessera::store {

grpc::Status QueueService::Enqueue(grpc::ServerContext*,
                                   grpc::ServerReader<v1::EnqueueRequest>* reader,
                                   v1::EnqueueReply* reply) {
  v1::EnqueueRequest first;
  if (!reader->Read(&first) || first.part_case() != v1::EnqueueRequest::kHeader)
    return rpc::to_status(invalid_argument("an Enqueue starts with its header"));
  auto body =
      read_body(reader, first.header().declared_size(), kMaxMessageBytes + kDeliverHeadroom);
  if (!body) return rpc::to_status(body.error());
  return answer(ops_.enqueue(first.header(), std::move(*body)), reply);
}

grpc::Status QueueService::Lease(grpc::ServerContext*, const v1::LeaseRequest* request,
                                 v1::LeaseReply* reply) {
  return answer(ops_.lease(*request), reply);
}

grpc::Status QueueService::ReadBody(grpc::ServerContext*, const v1::ReadBodyRequest* request,
                                    grpc::ServerWriter<v1::ReadBodyReply>* writer) {
  auto body = ops_.read_body(*request);
  if (!body) return rpc::to_status(body.error());
  std::string_view rest = *body;
  v1::ReadBodyReply chunk;
  do {
    const auto n = std::min(rest.size(), kMaxChunkBytes);
    chunk.set_data(std::string(rest.substr(0, n)));
    rest.remove_prefix(n);
    if (!writer->Write(chunk)) break;
  } while (!rest.empty());
  return grpc::Status::OK;
}

grpc::Status QueueService::Complete(grpc::ServerContext*, const v1::CompleteRequest* request,
                                    v1::CompleteReply* reply) {
  return answer(ops_.complete(*request), reply);
}

grpc::Status QueueService::Renew(grpc::ServerContext*, const v1::RenewRequest* request,
                                 v1::RenewReply* reply) {
  return answer(ops_.renew(*request), reply);
}

grpc::Status QueueService::RetryAt(grpc::ServerContext*, const v1::RetryAtRequest* request,
                                   v1::RetryAtReply* reply) {
  return answer(ops_.retry_at(*request), reply);
}

grpc::Status QueueService::List(grpc::ServerContext*, const v1::ListQueueRequest* request,
                                v1::ListQueueReply* reply) {
  return answer(ops_.list(*request), reply);
}

grpc::Status QueueService::Inspect(grpc::ServerContext*, const v1::InspectRequest* request,
                                   v1::QueueEntry* reply) {
  return answer(ops_.inspect(*request), reply);
}

}  // namespace tessera::store
