// tessera-pop3d: POP3 for Outlook, Thunderbird and Apple Mail. Everything but start-up lives in
// the library.
#include "service.hpp"

int main(int argc, char** argv) {
  return tessera::service::main(
      argc, argv, {.name = "pop3d", .summary = "Tessera POP3 service (ports 110, 995)"},
      tessera::pop3d::schema(), tessera::pop3d::setup);
}
