#include "smtp/spool.hpp"

#include <filesystem>

#include <catch2/catch.hpp>

namespace tessera::smtp {
namespace {

TEST_CASE("Spool keeps the head in memory, the rest in an unnamed file, and reads back") {
  const auto dir = std::filesystem::temp_directory_path() / "tessera-spool-test";
  std::filesystem::create_directories(dir);
  Spool spool(dir.string(), 10);
  REQUIRE(spool.append("0123456").has_value());
  REQUIRE(spool.append("789abcdef").has_value());
  REQUIRE(spool.append("ghij").has_value());
  CHECK(spool.size() == 20);
  CHECK(spool.head() == "0123456789");
  CHECK(*spool.read(0, 100) == "0123456789abcdefghij");
  CHECK(*spool.read(8, 4) == "89ab");
  CHECK(*spool.read(15, 3) == "fgh");
  CHECK(spool.read(20, 3)->empty());
  // The file has no name: nothing is left in the directory.
  CHECK(std::filesystem::is_empty(dir));
  Spool moved = std::move(spool);
  CHECK(*moved.read(10, 10) == "abcdefghij");
  moved.clear();
  CHECK(moved.size() == 0);
  REQUIRE(moved.append("xy").has_value());
  CHECK(*moved.read(0, 5) == "xy");
}

TEST_CASE("Spool reports an unusable directory") {
  Spool spool("/nonexistent/tessera", 2);
  REQUIRE(spool.append("ab").has_value());  // fits in memory
  auto failed = spool.append("c");
  REQUIRE(!failed.has_value());
  CHECK(failed.error().code == "smtp.spool");
}

}  // namespace
}  // namespace tessera::smtp
