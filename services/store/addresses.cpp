#include "addresses.hpp"

#include <cctype>

#include "errors.hpp"

namespace tessera::store {

std::string fold_local(std::string_view local) {
  std::string out(local);
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x80)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string MailAddress::folded() const {
  return fold_local(local) + "@" + domain;
}

Result<std::string> normalize_domain(std::string_view domain) {
  std::string out;
  for (char c : domain)
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (!out.empty() && out.back() == '.') out.pop_back();
  if (out.empty() || out.size() > 253) return invalid_argument("a domain has 1 to 253 characters");
  std::size_t label = 0;
  for (std::size_t i = 0; i <= out.size(); ++i) {
    if (i == out.size() || out[i] == '.') {
      if (label == 0 || label > 63)
        return invalid_argument("domain \"" + out + "\" has an empty or over-long label");
      if (out[i - 1] == '-' || out[i - label] == '-')
        return invalid_argument("domain \"" + out + "\": a label cannot start or end with '-'");
      label = 0;
      continue;
    }
    const char c = out[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-'))
      return invalid_argument("domain \"" + out +
                              "\" may hold letters, digits and '-' only (IDNs as xn-- A-labels)");
    ++label;
  }
  return out;
}

Result<MailAddress> parse_address(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0)
    return invalid_argument("\"" + std::string(address) + "\" is not an address (local@domain)");
  MailAddress out;
  out.local = std::string(address.substr(0, at));
  if (out.local.size() > 64) return invalid_argument("a local part is at most 64 octets");
  for (unsigned char c : out.local) {
    if (c <= 0x20 || c == 0x7f ||
        std::string_view("()<>[]:;@\\,\"").find(static_cast<char>(c)) != std::string_view::npos)
      return invalid_argument("\"" + std::string(address) +
                              "\": the local part holds a character addresses cannot carry");
  }
  if (out.local.front() == '.' || out.local.back() == '.' ||
      out.local.find("..") != std::string::npos)
    return invalid_argument("\"" + std::string(address) + "\": misplaced '.' in the local part");
  auto domain = normalize_domain(address.substr(at + 1));
  if (!domain) return domain.error();
  out.domain = std::move(*domain);
  if (out.local.size() + 1 + out.domain.size() > 254)
    return invalid_argument("an address is at most 254 octets");
  return out;
}

}  // namespace tessera::store
