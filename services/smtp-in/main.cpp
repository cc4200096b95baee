// tessera-smtpd: SMTP MX and LMTP receiving. Everything but start-up lives in the library.
#include "service.hpp"

int main(int argc, char** argv) {
  const int status = tessera::service::main(
      argc, argv, {.name = "smtpd", .summary = "Tessera SMTP MX and LMTP service (ports 25, 24)"},
      tessera::smtpin::schema(), tessera::smtpin::setup);
  tessera::smtpin::teardown();
  return status;
}
