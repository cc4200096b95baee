// Keeps something the store grants for a while (a queue lease, a maildrop lock) alive while its
// holder works: calls `renew` every `every` on the executor until the Keeper is destroyed or
// `renew` reports the grant lost. Its holder may die at any moment (kill -9): then nothing renews
// and the grant lapses in the store by itself, which is why grants are short and kept this way
// rather than long.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "base/asio.hpp"

namespace tessera::rpc {

enum class Renewal {
  kept,   // renewed
  lost,   // the store says it is gone (expired, taken over): stop
  retry,  // the store did not answer: try again at the next turn
};

class Keeper {
 public:
  using Renew = std::function<asio::awaitable<Renewal>()>;

  Keeper(const asio::any_io_executor& executor, std::chrono::milliseconds every, Renew renew);
  Keeper(const Keeper&) = delete;
  Keeper& operator=(const Keeper&) = delete;
  ~Keeper();
  bool lost() const { return state_->lost; }

 private:
  struct State {
    State(const asio::any_io_executor& executor, std::chrono::milliseconds every, Renew renew)
        : timer(executor), every(every), renew(std::move(renew)) {}
    asio::steady_timer timer;
    std::chrono::milliseconds every;
    Renew renew;
    bool done = false;
    bool lost = false;
  };
  // Owns a share of the state, so it outlives the Keeper until its timer wakes.
  static asio::awaitable<void> run(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace tessera::rpc
