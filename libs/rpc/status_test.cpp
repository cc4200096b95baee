// gRPC statuses as Errors and back (status.hpp).
#include "rpc/status.hpp"

#include <catch2/catch.hpp>

namespace rpc = tessera::rpc;

TEST_CASE("status codes map to rpc.<NAME> errors and back") {
  struct Case {
    grpc::StatusCode code;
    const char* message;
    const char* want_code;
    const char* want_message;
  };
  // 20: a code from a newer gRPC (enum values up to 31 are valid for grpc::StatusCode).
  const Case cases[] = {
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "over quota", "rpc.RESOURCE_EXHAUSTED", "over quota"},
      {grpc::StatusCode::NOT_FOUND, "no such account", "rpc.NOT_FOUND", "no such account"},
      {grpc::StatusCode::FAILED_PRECONDITION, "", "rpc.FAILED_PRECONDITION", "FAILED_PRECONDITION"},
      {grpc::StatusCode::UNAUTHENTICATED, "bad token", "rpc.UNAUTHENTICATED", "bad token"},
      {static_cast<grpc::StatusCode>(20), "odd", "rpc.UNKNOWN", "odd"},
  };
  for (const auto& c : cases) {
    INFO("code " << static_cast<int>(c.code));
    auto error = rpc::to_error(grpc::Status(c.code, c.message));
    CHECK(error.code == c.want_code);
    CHECK(error.message == c.want_message);
    if (static_cast<int>(c.code) < 17) CHECK(rpc::status_code(error) == c.code);
  }
}

TEST_CASE("errors from elsewhere have no gRPC status code") {
  CHECK_FALSE(rpc::status_code(tessera::make_error("net.eof", "peer gone")));
  CHECK_FALSE(rpc::status_code(tessera::make_error("rpc.stream_ended", "x")));
  CHECK(rpc::status_name(grpc::StatusCode::DEADLINE_EXCEEDED) == "DEADLINE_EXCEEDED");
}
