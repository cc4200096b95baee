// Config: the effective settings of one service, from (strongest first) the environment
// (`TESSERA_<SERVICE>_<KEY>`), one YAML file, and the schema's defaults. Loading checks
// everything up front — unknown keys, bad values, missing required keys — and fails with one
// line naming the key, where the value came from, what was expected and what was given, so a
// typo stops the service at start instead of passing silently (design.md §6).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "config/schema.hpp"
#include "config/value.hpp"

namespace tessera::config {

namespace detail {
class Builder;
}

// Variable name → value. A parameter rather than getenv() so tests never touch the process.
using Environment = std::map<std::string, std::string, std::less<>>;

// The process environment (environ), for main().
Environment process_environment();

// Where an effective value came from.
struct Source {
  enum class Kind { default_value, file, environment };
  Kind kind = Kind::default_value;
  std::string where;  // "" for a default; "/etc/tessera/imap.yaml line 3"; the variable name

  // "the default", "/etc/tessera/imap.yaml line 3", "TESSERA_IMAP_LISTEN_IMAPS".
  std::string describe() const;
};

// Config files are a few kilobytes; anything bigger is the wrong file.
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;

class Config {
 public:
  // Reads `yaml_path` when given (a missing or unreadable file is then an error), applies
  // `environment` and the defaults. `service` is the service name ("imap", "smtp-in").
  static Result<Config> load(std::string_view service, const Schema& schema,
                             const std::optional<std::filesystem::path>& yaml_path,
                             const Environment& environment);

  // As load, from YAML text already in memory; `source_name` names it in messages. Pure: the
  // fuzz target's entry point. Never throws.
  static Result<Config> parse_text(std::string_view service, const Schema& schema,
                                   std::string_view yaml_text, std::string_view source_name,
                                   const Environment& environment);

  // Typed getters. Asking for a key the schema lacks, or with the wrong type, is a programming
  // error and aborts naming the key.
  const std::string& get_string(std::string_view key) const;  // string, secret, enum keys
  bool get_bool(std::string_view key) const;
  std::int64_t get_int(std::string_view key) const;
  std::uint64_t get_size(std::string_view key) const;  // bytes
  std::chrono::milliseconds get_duration(std::string_view key) const;
  const Endpoint& get_endpoint(std::string_view key) const;
  const std::vector<std::string>& get_list(std::string_view key) const;
  const Source& source(std::string_view key) const;

  // Every key, its effective value and its origin, one per line, sorted by key; secrets are
  // shown as "(hidden)". For `--print-config`.
  std::string describe() const;

  const std::string& service() const { return service_; }

 private:
  Config() = default;  // built only by load/parse_text

  using Value = std::variant<std::string, bool, std::int64_t, std::uint64_t,
                             std::chrono::milliseconds, Endpoint, std::vector<std::string>>;
  struct Entry {
    Value value;
    std::string text;  // as given, for describe()
    Source source;
  };

  template <typename T>
  const T& get(std::string_view key, std::string_view getter) const;
  const Entry& entry(std::string_view key, std::string_view getter) const;

  std::string service_;
  Schema schema_;
  std::map<std::string, Entry, std::less<>> entries_;

  friend class detail::Builder;
};

}  // namespace tessera::config
