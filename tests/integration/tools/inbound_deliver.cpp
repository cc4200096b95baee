// inbound-deliver: a gRPC client of smtp-in's Inbound.Deliver for the integration tests (the
// relay and the poller are its real callers). Sends FILE with the envelope from the arguments
// and prints one line per recipient: "<code> <enhanced> <text>", then "id <id>".
//
//   inbound-deliver --to HOST:PORT --from ADDR --rcpt ADDR [--rcpt ADDR ...]
//                   [--protocol ESMTPSA] [--key KEY] [--smtputf8] FILE
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "tessera/inbound/v1/inbound.grpc.pb.h"

int main(int argc, char** argv) {
  namespace v1 = tessera::inbound::v1;
  std::string target, file;
  v1::Envelope envelope;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--to") {
      target = value();
    } else if (arg == "--from") {
      envelope.set_mail_from(value());
    } else if (arg == "--rcpt") {
      envelope.add_recipients()->set_address(value());
    } else if (arg == "--protocol") {
      envelope.set_protocol(value());
    } else if (arg == "--key") {
      envelope.set_idempotency_key(value());
    } else if (arg == "--smtputf8") {
      envelope.set_smtputf8(true);
    } else {
      file = arg;
    }
  }
  std::ifstream in(file, std::ios::binary);
  if (target.empty() || !in) {
    std::cerr << "usage: inbound-deliver --to HOST:PORT --from A --rcpt B [...] FILE\n";
    return 2;
  }
  std::stringstream content;
  content << in.rdbuf();
  const std::string message = content.str();
  envelope.set_declared_size(message.size());
  envelope.set_client_ip("127.0.0.1");
  envelope.set_helo("inbound-deliver");
  auto stub = v1::Inbound::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::DeliverReply reply;
  auto writer = stub->Deliver(&context, &reply);
  v1::DeliverRequest first;
  *first.mutable_envelope() = envelope;
  writer->Write(first);
  for (std::size_t at = 0; at < message.size(); at += 1 << 20) {
    v1::DeliverRequest chunk;
    chunk.set_chunk(message.substr(at, 1 << 20));
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  const auto status = writer->Finish();
  if (!status.ok()) {
    std::cout << "error " << status.error_code() << " " << status.error_message() << "\n";
    return 1;
  }
  for (const auto& outcome : reply.outcomes())
    std::cout << outcome.code() << " " << outcome.enhanced() << " " << outcome.text() << "\n";
  std::cout << "id " << reply.id() << "\n";
  return 0;
}
