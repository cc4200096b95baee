// Address-list parsing (RFC 5322 §3.4) for ENVELOPE.
#pragma once

#include <string_view>
#include <vector>

#include "mime/mime.hpp"

namespace tessera::mime::detail {

std::vector<Address> parse_addresses(std::string_view value);

}  // namespace tessera::mime::detail
