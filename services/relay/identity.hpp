// Who a submitter may send as (RL-09, API-01): the account's main address, its aliases and the
// extra sender addresses an operator granted. Compared as the store compares addresses: domain
// case-insensitive, ASCII local part case-insensitive.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tessera::relay {

struct Identity {
  std::uint64_t account_id = 0;
  std::string login;
  std::vector<std::string> addresses;  // folded: main address, aliases, sender addresses
  bool blocked = false;                // RL-04: an administrator stopped its sending

  bool may_send_as(std::string_view address) const;
};

// "Ann@Example.ORG" → "ann@example.org" (non-ASCII bytes kept as they are).
std::string fold_address(std::string_view address);

}  // namespace tessera::relay
