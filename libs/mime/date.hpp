// Date header parsing (RFC 5322 §3.3, §4.3).
#pragma once

#include <cstdint>
#include <string_view>

namespace tessera::mime::detail {

// Unix milliseconds, or 0 when the value is not a date.
std::int64_t parse_date(std::string_view value);

}  // namespace tessera::mime::detail
