// ChangeHub: one store Watch stream (proto Changes.Watch) per account with sessions in IDLE, shared
// by all of that account's sessions in this process, so 10,000 idling clients of one account hold
// one stream, not 10,000. A session subscribes a wake-up channel; every change notice of the
// account sends one (non-blocking) wake-up, and the session then asks the store what changed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include <boost/asio/experimental/concurrent_channel.hpp>

#include "base/asio.hpp"
#include "store_client/store_client.hpp"

namespace tessera::imap {

// Capacity 1: wake-ups while one is pending merge into it.
using WakeChannel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

class ChangeHub {
 public:
  ChangeHub(asio::io_context& io, StoreClient& store) : io_(io), store_(store) {}
  ChangeHub(const ChangeHub&) = delete;
  ChangeHub& operator=(const ChangeHub&) = delete;

  class Subscription {
   public:
    Subscription(ChangeHub& hub, std::uint64_t account, WakeChannel& channel)
        : hub_(hub), account_(account), channel_(channel) {}
    ~Subscription() { hub_.unsubscribe(account_, channel_); }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    ChangeHub& hub_;
    std::uint64_t account_;
    WakeChannel& channel_;
  };

  // Wakes `channel` on every change of `account` after `known_modseq` (a stream that starts for
  // this subscription begins there, so a change made just before it is not missed).
  std::unique_ptr<Subscription> subscribe(std::uint64_t account, WakeChannel& channel,
                                          std::uint64_t known_modseq);

 private:
  struct Entry {
    std::set<WakeChannel*> channels;
    std::uint64_t modseq = 0;  // the highest notice seen
  };

  void unsubscribe(std::uint64_t account, WakeChannel& channel);
  // Reads the account's Watch stream until no session is subscribed; reconnects after errors
  // from the last modseq seen (the store drained or restarted).
  awaitable<void> watch(std::uint64_t account, std::uint64_t since);
  // Wakes every subscriber (heartbeats only check); false when there are none left, and the
  // entry is gone (the watch then ends).
  bool notify(std::uint64_t account, std::uint64_t modseq, bool wake);

  asio::io_context& io_;
  StoreClient& store_;
  std::mutex mutex_;
  std::map<std::uint64_t, Entry> entries_;
};

}  // namespace tessera::imap
