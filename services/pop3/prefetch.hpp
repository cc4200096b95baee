// Bodies read ahead for RETR and TOP. Clients download a maildrop in order, one command after
// the other; a store call per message cost pop3d more CPU and context switches than the whole
// message's TLS and byte-stuffing (tools/bench/pop3). So when a small message is asked for, the
// next ones come with it in one Messages.GetBodies call, as many as fit in kAheadBytes; each is
// handed out once to RETR (TOP leaves it for the RETR that usually follows). Large messages
// stream from the store as before. What is held is bounded per session by kAheadBytes.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "base/asio.hpp"
#include "maildrop.hpp"
#include "settings.hpp"

namespace tessera::pop3d {

struct Prefetched {
  enum class Kind {
    none,     // not read ahead: stream it from the store
    body,     // `data` is the whole message
    missing,  // the store no longer has it (expunged by another client since the login)
  };
  Kind kind = Kind::none;
  std::string data;
};

class Prefetch {
 public:
  static constexpr std::uint64_t kAheadBytes = 512 << 10;      // per call and held
  static constexpr std::uint64_t kLargestMessage = 128 << 10;  // larger ones stream
  static constexpr std::size_t kAheadMessages = 100;

  // Message `number` of the maildrop; `keep` leaves it for a later RETR (TOP).
  awaitable<Prefetched> get(const Settings& settings, const Maildrop& maildrop,
                            std::uint32_t number, bool keep);

 private:
  awaitable<void> fill(const Settings& settings, const Maildrop& maildrop, std::uint32_t number);

  std::map<std::uint32_t, std::string> bodies_;  // by UID
  std::set<std::uint32_t> missing_;              // UIDs the store did not have
};

}  // namespace tessera::pop3d
