// Internal to libs/config: turns a YAML document and the environment into raw values per key
// (text or a list of texts, with their source), checking only names and shapes. Typed parsing
// happens afterwards, the same way for every source (config.cpp).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "config/schema.hpp"

namespace tessera::config::detail {

struct RawValue {
  std::variant<std::string, std::vector<std::string>> value;  // scalar or YAML sequence
  Source source;
};

using RawValues = std::map<std::string, RawValue, std::less<>>;

// Error codes of libs/config.
inline constexpr std::string_view kUnknownKey = "config.unknown_key";
inline constexpr std::string_view kBadValue = "config.bad_value";
inline constexpr std::string_view kBadYaml = "config.bad_yaml";
inline constexpr std::string_view kUnreadable = "config.unreadable";
inline constexpr std::string_view kMissing = "config.missing";

// The values a YAML document sets. Never throws: yaml-cpp's exceptions become kBadYaml.
Result<RawValues> read_yaml(const Schema& schema, std::string_view text,
                            std::string_view source_name);

// The values `TESSERA_<SERVICE>_*` variables set; an unknown one is kUnknownKey.
Result<RawValues> read_environment(const Schema& schema, std::string_view service,
                                   const Environment& environment);

}  // namespace tessera::config::detail
