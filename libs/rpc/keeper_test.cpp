// The Keeper renews on its period, stops when told the grant is lost, and never renews after it
// is destroyed.
#include "rpc/keeper.hpp"

#include <optional>

#include <catch2/catch.hpp>

namespace {

using namespace std::chrono_literals;
using tessera::rpc::Keeper;
using tessera::rpc::Renewal;
namespace asio = tessera::asio;

void run_for(asio::io_context& io, std::chrono::milliseconds how_long) {
  io.run_for(how_long);
  io.restart();
}

}  // namespace

TEST_CASE("renews every period until the grant is lost") {
  asio::io_context io;
  int calls = 0;
  Keeper keeper(io.get_executor(), 5ms, [&]() -> asio::awaitable<Renewal> {
    ++calls;
    co_return calls == 2 ? Renewal::retry : calls == 4 ? Renewal::lost : Renewal::kept;
  });
  run_for(io, 200ms);
  CHECK(calls == 4);  // a retry goes on; lost stops
  CHECK(keeper.lost());
}

TEST_CASE("nothing is renewed once the keeper is gone") {
  asio::io_context io;
  int calls = 0;
  std::optional<Keeper> keeper;
  keeper.emplace(io.get_executor(), 5ms, [&]() -> asio::awaitable<Renewal> {
    ++calls;
    co_return Renewal::kept;
  });
  run_for(io, 30ms);
  const int before = calls;
  CHECK(before >= 1);
  CHECK_FALSE(keeper->lost());
  keeper.reset();
  run_for(io, 30ms);
  CHECK(calls == before);
}
