// mailctl's connection to the store: blocking stubs with a deadline per call, and one place
// that turns a failed status into mailctl's message and exit code.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "tessera/store/v1/directory.grpc.pb.h"
#include "tessera/store/v1/mailboxes.grpc.pb.h"

namespace tessera::mailctl {

namespace v1 = tessera::store::v1;

// Exit codes: 0 done, 1 the store refused, 2 usage error, 3 store unreachable.
enum Exit { kOk = 0, kRefused = 1, kUsage = 2, kUnreachable = 3 };

// Thrown only inside mailctl's own code to end a command with a message and an exit code.
struct Failure {
  Exit code;
  std::string message;
};

class Client {
 public:
  explicit Client(const std::string& address);
  v1::Directory::Stub& directory() { return *directory_; }
  v1::Mailboxes::Stub& mailboxes() { return *mailboxes_; }
  const std::string& address() const { return address_; }

  // A context with the 5-second deadline every call gets.
  static std::unique_ptr<grpc::ClientContext> context();
  // Throws Failure for a failed status: the store's message (what: ...), or unreachable.
  void check(const grpc::Status& status, const std::string& what) const;
  // The account id of a login (throws if there is none).
  std::uint64_t account_id(const std::string& login);

 private:
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Directory::Stub> directory_;
  std::unique_ptr<v1::Mailboxes::Stub> mailboxes_;
};

}  // namespace tessera::mailctl
