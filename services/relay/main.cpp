// tessera-relayd: authenticated submission and outbound delivery. Everything but start-up lives
// in the library.
#include "service.hpp"

int main(int argc, char** argv) {
  return tessera::service::main(
      argc, argv, {.name = "relayd", .summary = "Tessera submission and relay (ports 587, 465)"},
      tessera::relay::schema(), tessera::relay::setup);
}
