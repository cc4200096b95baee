#include "db.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "keys.hpp"

namespace store = tessera::store;

namespace {
std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("tessera-db-test-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

TEST_CASE("Db opens every column family and keeps synced writes across a reopen") {
  const auto dir = temp_dir();
  {
    auto db = store::Db::open(dir);
    REQUIRE(db);
    rocksdb::WriteBatch batch;
    for (std::size_t i = 0; i < store::kFamilies; ++i) {
      const auto family = static_cast<store::Family>(i);
      REQUIRE((*db)->family(family) != nullptr);
      batch.Put((*db)->family(family), store::keys::message(1, 2, 3),
                std::string(store::family_name(family)));
    }
    REQUIRE((*db)->write_synced(batch));
  }
  auto reopened = store::Db::open(dir);
  REQUIRE(reopened);
  for (std::size_t i = 0; i < store::kFamilies; ++i) {
    const auto family = static_cast<store::Family>(i);
    auto got = (*reopened)->get(family, store::keys::message(1, 2, 3));
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK(**got == store::family_name(family));
  }
  auto missing = (*reopened)->get(store::Family::index, store::keys::message(9, 9, 9));
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
  reopened->reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("large bodies go to blob files and read back byte-exact") {
  const auto dir = temp_dir();
  std::string body(1 << 20, '\0');
  std::mt19937 random(42);
  for (auto& c : body)
    c = static_cast<char>(random());
  {
    auto db = store::Db::open(dir);
    REQUIRE(db);
    rocksdb::WriteBatch batch;
    batch.Put((*db)->family(store::Family::blobs), "hash", body);
    REQUIRE((*db)->write_synced(batch));
    REQUIRE((*db)->raw().Flush(rocksdb::FlushOptions(), (*db)->family(store::Family::blobs)).ok());
  }
  bool has_blob_file = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".blob") has_blob_file = true;
  }
  CHECK(has_blob_file);
  auto db = store::Db::open(dir);
  REQUIRE(db);
  auto got = (*db)->get(store::Family::blobs, "hash");
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK(**got == body);
  db->reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("an unusable path is one error naming it") {
  const auto dir = temp_dir();
  const auto file = dir / "not-a-directory";
  std::ofstream(file) << "x";
  auto db = store::Db::open(file / "db");
  REQUIRE_FALSE(db);
  CHECK(db.error().code == "store.db");
  CHECK(db.error().message.find((file / "db").string()) != std::string::npos);
  std::filesystem::remove_all(dir);
}
