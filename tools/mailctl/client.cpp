#include "client.hpp"

namespace tessera::mailctl {

Client::Client(const std::string& address)
    : address_(address),
      channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
      directory_(v1::Directory::NewStub(channel_)),
      mailboxes_(v1::Mailboxes::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> Client::context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return context;
}

void Client::check(const grpc::Status& status, const std::string& what) const {
  if (status.ok()) return;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
    throw Failure{kUnreachable, "cannot reach the store at " + address_ +
                                    " (is tessera-store running? use --store HOST:PORT)"};
  throw Failure{kRefused, what + ": " + status.error_message()};
}

std::uint64_t Client::account_id(const std::string& login) {
  v1::GetAccountRequest request;
  request.set_login(login);
  v1::Account account;
  auto ctx = context();
  check(directory_->GetAccount(ctx.get(), request, &account), "account " + login);
  return account.account_id();
}

}  // namespace tessera::mailctl
