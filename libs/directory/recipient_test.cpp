#include "directory/recipient.hpp"

#include <catch2/catch.hpp>

namespace tessera::directory {
namespace {

TEST_CASE("IDNA2008 A-labels for SMTPUTF8 domains") {
  CHECK(*to_a_label("bücher.example") == "xn--bcher-kva.example");
  CHECK(*to_a_label("Example.ORG") == "example.org");
  CHECK(!to_a_label("xn--zz-.example"));
}

}  // namespace
}  // namespace tessera::directory
