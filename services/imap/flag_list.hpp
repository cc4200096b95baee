// Flags as IMAP writes them (RFC 9051 §9 flag-list, flag): STORE's argument and APPEND's
// optional flag list, into the store's Flags.
#pragma once

#include "base/result.hpp"
#include "imap/reader.hpp"
#include "tessera/store/v1/common.pb.h"

namespace tessera::imap {

// "(\Seen $Tag)" or, for STORE, also the bare form "\Seen $Tag". \Recent and unknown system
// flags cannot be stored.
Status parse_flags(Reader& args, store::v1::Flags& flags);

}  // namespace tessera::imap
