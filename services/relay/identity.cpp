#include "identity.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace tessera::relay {

std::string fold_address(std::string_view address) {
  return ascii_lower(address);
}

bool Identity::may_send_as(std::string_view address) const {
  const auto folded = fold_address(address);
  return std::find(addresses.begin(), addresses.end(), folded) != addresses.end();
}

}  // namespace tessera::relay
