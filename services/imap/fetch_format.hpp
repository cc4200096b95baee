// FETCH response data (RFC 9051 §7.5.2) from the store's records: ENVELOPE, BODY and
// BODYSTRUCTURE, FLAGS, INTERNALDATE, and header field selection for BODY[HEADER.FIELDS].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/store/v1/messages.pb.h"

namespace tessera::imap {

std::string format_envelope(const store::v1::Envelope& envelope);
// `extended`: BODYSTRUCTURE (with extension data); otherwise BODY.
std::string format_body(const store::v1::BodyPart& part, bool extended);
// "(\\Seen $Tag)"; `recent` appends \\Recent (IMAP4rev1 only, RFC 3501 §2.3.2).
std::string format_flags(const store::v1::Flags& flags, bool recent = false);
// "17-Jul-1996 02:44:25 +0000" (date-time, RFC 9051 §9), in UTC.
std::string format_internal_date(std::int64_t unix_ms);
// The header lines of `header` whose field names are (or, with `exclude`, are not) in `names`
// (upper case), followed by the empty line (RFC 9051 §6.4.5 HEADER.FIELDS[.NOT]).
std::string select_header_fields(std::string_view header, const std::vector<std::string>& names,
                                 bool exclude);

}  // namespace tessera::imap
