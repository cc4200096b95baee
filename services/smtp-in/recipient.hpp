// RCPT TO through the store (IN-01, IN-02, IN-04): who receives an address, or the reply that
// says why nobody does. Never relays: an address outside the hosted domains is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/asio.hpp"
#include "settings.hpp"
#include "smtp/command.hpp"
#include "smtp/reply.hpp"

namespace tessera::smtpin {

struct Recipient {
  smtp::RcptTo rcpt;
  std::string address;  // as the store was asked: the domain in A-labels (IDNA2008)
  std::uint64_t account_id = 0;
  std::string login;    // the account's main address (Delivered-To)
  smtp::Reply outcome;  // set by the pipeline; code 0 while undecided
};

struct Lookup {
  smtp::Reply reply;                   // 250 2.1.5, or why not
  std::optional<Recipient> recipient;  // set with a 2xx reply
};

// `size_hint`: the MAIL SIZE parameter (0 if none), for the quota check.
awaitable<Lookup> look_up(const Settings& settings, const smtp::RcptTo& rcpt,
                          std::uint64_t size_hint);

// "bücher.example" → "xn--bcher-kva.example"; ASCII domains lower-cased as they are. nullopt
// for a name IDNA2008 refuses.
std::optional<std::string> to_a_label(const std::string& domain);

}  // namespace tessera::smtpin
