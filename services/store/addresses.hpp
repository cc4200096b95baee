// Address rules of the directory: validation (RFC 5321 §4.5.3.1 lengths, dot-atom local parts,
// LDH domain labels with A-labels for IDNs) and the folded form addresses are compared in
// (domain in lower case; local part ASCII-case-folded, non-ASCII kept exact).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tessera::store {

struct MailAddress {
  std::string local;           // as given
  std::string domain;          // lower case
  std::string folded() const;  // "local@domain", compare form
  std::string text() const { return local + "@" + domain; }
};

// INVALID_ARGUMENT naming what is wrong.
Result<std::string> normalize_domain(std::string_view domain);
Result<MailAddress> parse_address(std::string_view address);
std::string fold_local(std::string_view local);

}  // namespace tessera::store
