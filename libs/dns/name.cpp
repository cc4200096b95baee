#include "dns/name.hpp"

#include <algorithm>

#include "base/ascii.hpp"
#include "dns/errors.hpp"

namespace tessera::dns {
namespace {

bool let_dig(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5321 §4.1.2: sub-domain = Let-dig [Ldh-str]; Ldh-str ends with a Let-dig.
bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > max_label_length) return false;
  if (!let_dig(label.front()) || !let_dig(label.back())) return false;
  for (const char c : label) {
    if (!let_dig(c) && c != '-') return false;
  }
  return true;
}

Error bad_name(std::string_view name, std::string_view why) {
  return make_error(std::string(errc::bad_name), "\"" + std::string(name.substr(0, 80)) +
                                                     "\" is no domain: " + std::string(why));
}

}  // namespace

Result<std::string> normalize_domain(std::string_view name) {
  std::string_view text = name;
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty()) return bad_name(name, "empty");
  if (text.size() > max_name_length) return bad_name(name, "longer than 253 octets");
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t dot = std::min(text.find('.', start), text.size());
    const std::string_view label = text.substr(start, dot - start);
    if (!valid_label(label)) {
      const bool ascii = std::all_of(label.begin(), label.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      return bad_name(name, ascii ? "a label is empty, too long or has other than letters, "
                                    "digits and inner hyphens"
                                  : "a U-label (convert it to an A-label first)");
    }
    start = dot + 1;
  }
  return ascii_lower(text);
}

std::optional<asio::ip::address> address_literal(std::string_view domain) {
  if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return std::nullopt;
  std::string_view inner = domain.substr(1, domain.size() - 2);
  constexpr std::string_view ipv6_tag = "IPv6:";
  const bool tagged = inner.size() > ipv6_tag.size() && ascii_iequals(inner.substr(0, 5), ipv6_tag);
  if (tagged) inner.remove_prefix(ipv6_tag.size());
  if (inner.find('%') != std::string_view::npos) return std::nullopt;  // no zone index
  error_code ec;
  const auto address = asio::ip::make_address(std::string(inner), ec);
  // §4.1.3: IPv4 bare, IPv6 only with its tag.
  if (ec || address.is_v6() != tagged) return std::nullopt;
  return address;
}

}  // namespace tessera::dns
