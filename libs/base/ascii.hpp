// ASCII case mapping for protocol keywords (IMAP atoms, header names): locale-independent, and
// bytes outside A-Z/a-z are left alone, so UTF-8 passes through unchanged.
#pragma once

#include <string>
#include <string_view>

namespace tessera {

inline std::string ascii_upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace tessera
