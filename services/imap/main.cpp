// tessera-imap: IMAP4rev1/IMAP4rev2 front end. Everything but start-up lives in the library.
#include "service.hpp"

int main(int argc, char** argv) {
  return tessera::service::main(
      argc, argv, {.name = "imap", .summary = "Tessera IMAP service (ports 143, 993)"},
      tessera::imap::schema(), tessera::imap::setup);
}
