#include "uploads.hpp"

#include "rpc/client.hpp"

namespace tessera::relay {
namespace {

constexpr std::size_t kChunk = 1 << 20;

rpc::CallOptions stream_options(std::chrono::milliseconds timeout) {
  rpc::CallOptions options;
  options.timeout = timeout;
  options.wait_for_ready = true;  // a store or smtp-in that restarts is waited for
  return options;
}

}  // namespace

awaitable<Result<inbound::v1::DeliverReply>> send_inbound(const Clients& clients,
                                                          std::chrono::milliseconds timeout,
                                                          inbound::v1::Envelope envelope,
                                                          const std::string& prefix,
                                                          const smtp::Spool& body) {
  envelope.set_declared_size(prefix.size() + body.size());
  const auto options = stream_options(timeout);
  auto writer = rpc::client_stream(clients.inbound->async(),
                                   &inbound::v1::Inbound::Stub::async::Deliver, options);
  inbound::v1::DeliverRequest first;
  *first.mutable_envelope() = std::move(envelope);
  auto send = [&writer](std::string piece) -> awaitable<Status> {
    inbound::v1::DeliverRequest request;
    request.set_chunk(std::move(piece));
    co_return co_await writer->write(std::move(request));
  };
  if (auto ok = co_await writer->write(std::move(first)); ok)
    co_await smtp::stream_spool(body, prefix, kChunk, send);  // a failure shows in finish()
  co_return co_await writer->finish();
}

awaitable<Result<store::v1::EnqueueReply>> send_queue(const Clients& clients,
                                                      std::chrono::milliseconds timeout,
                                                      store::v1::EnqueueHeader header,
                                                      const std::string& prefix,
                                                      const smtp::Spool& body) {
  header.set_declared_size(prefix.size() + body.size());
  const auto options = stream_options(timeout);
  auto writer =
      rpc::client_stream(clients.queue->async(), &store::v1::Queue::Stub::async::Enqueue, options);
  store::v1::EnqueueRequest first;
  *first.mutable_header() = std::move(header);
  auto send = [&writer](std::string piece) -> awaitable<Status> {
    store::v1::EnqueueRequest request;
    request.set_chunk(std::move(piece));
    co_return co_await writer->write(std::move(request));
  };
  if (auto ok = co_await writer->write(std::move(first)); ok)
    co_await smtp::stream_spool(body, prefix, kChunk, send);  // a failure shows in finish()
  co_return co_await writer->finish();
}

}  // namespace tessera::relay
