// The gRPC face of the Queue service: thin adapters to QueueOps (see grpc_services.hpp for the
// threading model).
#pragma once

#include "queue_ops.hpp"
#include "tessera/store/v1/queue.grpc.pb.h"

namespace tessera::store {

class QueueService final : public v1::Queue::Service {
 public:
  QueueService(Context& context, std::uint64_t max_bytes) : ops_(context, max_bytes) {}
  grpc::Status Enqueue(grpc::ServerContext*, grpc::ServerReader<v1::EnqueueRequest>* reader,
                       v1::EnqueueReply* reply) override;
  grpc::Status Lease(grpc::ServerContext*, const v1::LeaseRequest* request,
                     v1::LeaseReply* reply) override;
  grpc::Status Renew(grpc::ServerContext*, const v1::RenewRequest* request,
                     v1::RenewReply* reply) override;
  grpc::Status ReadBody(grpc::ServerContext*, const v1::ReadBodyRequest* request,
                        grpc::ServerWriter<v1::ReadBodyReply>* writer) override;
  grpc::Status Complete(grpc::ServerContext*, const v1::CompleteRequest* request,
                        v1::CompleteReply* reply) override;
  grpc::Status RetryAt(grpc::ServerContext*, const v1::RetryAtRequest* request,
                       v1::RetryAtReply* reply) override;
  grpc::Status List(grpc::ServerContext*, const v1::ListQueueRequest* request,
                    v1::ListQueueReply* reply) override;
  grpc::Status Inspect(grpc::ServerContext*, const v1::InspectRequest* request,
                       v1::QueueEntry* reply) override;

 private:
  QueueOps ops_;
};

}  // namespace tessera::store
