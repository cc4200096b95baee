// Changes.Watch over a real gRPC server on loopback: a watcher hears of a change committed by
// another caller, a reconnecting watcher with an old modseq is told at once, and a drain ends the
// stream with UNAVAILABLE.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>

#include "grpc_services.hpp"
#include "message_data.hpp"
#include "rpc/server.hpp"
#include "test_fixture.hpp"

using namespace tessera::store;
using testing::Fixture;

namespace {

struct Served {
  Fixture f;
  ChangesService changes{f.context};
  std::unique_ptr<tessera::rpc::RpcServer> server;
  std::unique_ptr<v1::Changes::Stub> stub;

  Served() {
    f.add_account(1);
    server = std::move(tessera::rpc::RpcServer::start("127.0.0.1:0", {&changes}).value());
    stub = v1::Changes::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                                                    grpc::InsecureChannelCredentials()));
  }
};

}  // namespace

TEST_CASE("Watch streams a notice for a committed append and catches up from a modseq") {
  Served s;
  const auto inbox = s.f.role(1, v1::MAILBOX_ROLE_INBOX);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchRequest request;
  request.set_account_id(1);
  auto reader = s.stub->Watch(&context, request);
  // The subscription exists once the server has the call; wait for it before appending.
  for (int i = 0; i < 200 && s.f.notifier.watchers(1) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(s.f.notifier.watchers(1) == 1);
  auto appended = s.f.append(1, inbox, testing::message("live"));
  REQUIRE(appended);
  v1::WatchEvent event;
  REQUIRE(reader->Read(&event));
  CHECK(event.highest_modseq() == appended->modseq());
  REQUIRE(event.mailboxes_size() == 1);
  CHECK(event.mailboxes(0).mailbox_id() == inbox);
  CHECK(event.mailboxes(0).messages_added());
  context.TryCancel();
  (void)reader->Finish();

  // A watcher that last saw an older modseq is told at once.
  grpc::ClientContext later;
  later.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  request.set_since_modseq(appended->modseq() - 1);
  auto catching_up = s.stub->Watch(&later, request);
  REQUIRE(catching_up->Read(&event));
  CHECK(event.highest_modseq() == appended->modseq());
  CHECK(event.mailboxes(0).messages_added());
  // A drain ends the stream with UNAVAILABLE: the client reconnects with its modseq.
  s.changes.hub().end_all();
  while (catching_up->Read(&event)) {
  }
  CHECK(catching_up->Finish().error_code() == grpc::StatusCode::UNAVAILABLE);
}

TEST_CASE("Watch of an unknown account fails with NOT_FOUND") {
  Served s;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchRequest request;
  request.set_account_id(42);
  auto reader = s.stub->Watch(&context, request);
  v1::WatchEvent event;
  CHECK_FALSE(reader->Read(&event));
  CHECK(reader->Finish().error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("Append over gRPC refuses a body that differs from its declared size") {
  Fixture f;
  f.add_account(1);
  MessagesService messages{f.context};
  auto server = std::move(tessera::rpc::RpcServer::start("127.0.0.1:0", {&messages}).value());
  auto stub = v1::Messages::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()));
  auto append = [&](std::uint64_t declared, const std::vector<std::string>& chunks) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::AppendReply reply;
    auto writer = stub->Append(&context, &reply);
    v1::AppendRequest header;
    header.mutable_header()->set_account_id(1);
    header.mutable_header()->mutable_mailbox()->set_role(v1::MAILBOX_ROLE_INBOX);
    header.mutable_header()->set_declared_size(declared);
    writer->Write(header);
    for (const auto& chunk : chunks) {
      v1::AppendRequest piece;
      piece.set_chunk(chunk);
      writer->Write(piece);
    }
    writer->WritesDone();
    return writer->Finish();
  };
  const auto body = testing::message("sized");
  CHECK(append(body.size() + 1, {body}).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(append(body.size() - 1, {body}).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(append(2 * 1024 * 1024, {std::string(1024 * 1024 + 1, 'x')}).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);  // a chunk over 1 MiB
  CHECK(append(kMaxMessageBytes + 1, {}).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(append(body.size(), {body}).ok());
  CHECK(f.status(1, f.role(1, v1::MAILBOX_ROLE_INBOX)).messages() == 1);
}
