// Who a submitter may send as (RL-09, API-01): the account's main address, its aliases and the
// extra sender addresses an operator granted. Compared as the store compares addresses: domain
// case-insensitive, ASCII local part case-insensitive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::relay {

struct Identity {
  std::uint64_t account_id = 0;
  std::string login;
  std::vector<std::string> addresses;  // folded: main address, aliases, sender addresses
  bool blocked = false;                // RL-04: an administrator stopped its sending
  // RL-03: the account's own sending limits; 0 = the relay's (Settings). Read at AUTH.
  std::uint32_t messages_per_hour = 0;
  std::uint32_t max_recipients = 0;

  bool may_send_as(std::string_view address) const;
};

// "Ann@Example.ORG" → "ann@example.org" (non-ASCII bytes kept as they are).
std::string fold_address(std::string_view address);

}  // namespace tessera::relay
