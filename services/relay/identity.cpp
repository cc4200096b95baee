#include "identity.hpp"

#include <algorithm>

namespace tessera::relay {

std::string fold_address(std::string_view address) {
  std::string out(address);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool Identity::may_send_as(std::string_view address) const {
  const auto folded = fold_address(address);
  return std::find(addresses.begin(), addresses.end(), folded) != addresses.end();
}

}  // namespace tessera::relay
