// The MIME tree of a message with byte offsets (RFC 2045, RFC 2046 §5.1 multipart, §5.2
// message/rfc822) as IMAP BODYSTRUCTURE describes it (RFC 9051 §7.5.2).
#pragma once

#include <string_view>

#include "mime/header.hpp"
#include "mime/mime.hpp"

namespace tessera::mime::detail {

Envelope parse_envelope(const std::vector<Field>& fields);

// Parses [begin, end) of `raw` as an entity whose header starts at `begin`.
// `default_type_message`: inside multipart/digest the default is message/rfc822 (RFC 2046 §5.1.5).
Part parse_entity(std::string_view raw, std::size_t begin, std::size_t end, const std::string& id,
                  bool default_type_message, int depth);

}  // namespace tessera::mime::detail
