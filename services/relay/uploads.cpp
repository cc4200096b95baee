#include "uploads.hpp"

#include "rpc/client.hpp"

namespace tessera::relay {
namespace {

constexpr std::size_t kChunk = 1 << 20;

// The first request (envelope or header), then prefix and body as chunk requests of kChunk.
template <class Request, class Reply>
awaitable<Result<Reply>> upload(rpc::StreamWriter<Request, Reply>& writer, Request first,
                                const std::string& prefix, const smtp::Spool& body) {
  auto send = [&writer](std::string piece) -> awaitable<Status> {
    Request request;
    request.set_chunk(std::move(piece));
    co_return co_await writer.write(std::move(request));
  };
  if (auto ok = co_await writer.write(std::move(first)); ok)
    co_await smtp::stream_spool(body, prefix, kChunk, send);  // a failure shows in finish()
  co_return co_await writer.finish();
}

}  // namespace

awaitable<Result<inbound::v1::DeliverReply>> send_inbound(const Clients& clients,
                                                          std::chrono::milliseconds timeout,
                                                          inbound::v1::Envelope envelope,
                                                          const std::string& prefix,
                                                          const smtp::Spool& body) {
  envelope.set_declared_size(prefix.size() + body.size());
  const auto options = store_call(timeout);
  auto writer = rpc::client_stream(clients.inbound->async(),
                                   &inbound::v1::Inbound::Stub::async::Deliver, options);
  inbound::v1::DeliverRequest first;
  *first.mutable_envelope() = std::move(envelope);
  co_return co_await upload(*writer, std::move(first), prefix, body);
}

awaitable<Result<store::v1::EnqueueReply>> send_queue(const Clients& clients,
                                                      std::chrono::milliseconds timeout,
                                                      store::v1::EnqueueHeader header,
                                                      const std::string& prefix,
                                                      const smtp::Spool& body) {
  header.set_declared_size(prefix.size() + body.size());
  const auto options = store_call(timeout);
  auto writer =
      rpc::client_stream(clients.queue->async(), &store::v1::Queue::Stub::async::Enqueue, options);
  store::v1::EnqueueRequest first;
  *first.mutable_header() = std::move(header);
  co_return co_await upload(*writer, std::move(first), prefix, body);
}

}  // namespace tessera::relay
