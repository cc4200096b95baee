#include "rpc/keeper.hpp"

namespace tessera::rpc {

Keeper::Keeper(const asio::any_io_executor& executor, std::chrono::milliseconds every, Renew renew)
    : state_(std::make_shared<State>(executor, every, std::move(renew))) {
  asio::co_spawn(executor, run(state_), asio::detached);
}

Keeper::~Keeper() {
  state_->done = true;
  state_->timer.cancel();
}

asio::awaitable<void> Keeper::run(std::shared_ptr<State> state) {
  while (!state->done) {
    state->timer.expires_after(state->every);
    co_await state->timer.async_wait(use_nothrow);
    if (state->done) break;
    // Named: with GCC 12 at -O3, co_await directly on the std::function call traps (SIGILL).
    auto renewal = state->renew();
    if (co_await std::move(renewal) == Renewal::lost) {
      state->lost = true;
      break;
    }
  }
}

}  // namespace tessera::rpc
