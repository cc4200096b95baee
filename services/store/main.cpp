// tessera-store: the message store, the only durable state (design §2, §4). Everything but
// start-up lives in the library.
#include "service.hpp"

int main(int argc, char** argv) {
  const int status = tessera::service::main(
      argc, argv, {.name = "store", .summary = "Tessera message store (gRPC, port 17001)"},
      tessera::store::schema(), tessera::store::setup);
  tessera::store::teardown();
  return status;
}
