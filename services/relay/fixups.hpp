// What a submission server fixes in a message before it goes on (RFC 6409 §8): a Date and a
// Message-ID when the client gave none (§8.2, §8.3), and no Bcc field, which would tell every
// recipient who else got a blind copy (RFC 5322 §3.6.3). Pure on the header; `apply` builds the
// corrected message in a new spool only when something changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "smtp/spool.hpp"

namespace tessera::relay {

struct FixupContext {
  std::string hostname;  // Message-ID right side
  std::string id;        // the transaction id: Message-ID left side
  std::int64_t unix_ms = 0;
};

// The header block (through its empty line) rewritten, or nullopt when it is fine as it is.
std::optional<std::string> fix_header(std::string_view header, const FixupContext& context);

// Where the header of `message` ends (after its empty line); npos when `message` holds no end.
std::size_t header_length(std::string_view message);

// The message with a fixed header in a new spool (same directory and memory bound), or nullopt
// when nothing changes or the header is longer than the spool keeps in memory (left alone).
Result<std::optional<smtp::Spool>> apply_fixups(const smtp::Spool& message,
                                                const std::string& spool_directory,
                                                std::size_t spool_memory,
                                                const FixupContext& context);

}  // namespace tessera::relay
