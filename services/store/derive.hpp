// The derived data of a raw message (envelope, body structure, preview, attachment and priority
// hints, thread inputs, part spans), computed once when the content is first stored, with
// libs/mime. Never fails: malformed MIME gives what could be understood (issue 3).
#pragma once

#include <string_view>

#include "tessera/storedb/v1/records.pb.h"

namespace tessera::store {

storedb::v1::Derived derive(std::string_view raw);

}  // namespace tessera::store
