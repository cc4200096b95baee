// Schema: the keys one service accepts — dotted name, type, default (or required) and a
// one-line doc. It is the single source of truth for what a config file and the environment
// may set, for the README table (`markdown_table`), and for `--print-config`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::config {

enum class Type { string, secret, boolean, integer, size, duration, endpoint, list, enumeration };

// Pass as the default of a key that has none: loading fails unless the file or the
// environment sets it.
inline constexpr std::nullopt_t required = std::nullopt;

struct Key {
  std::string name;  // dotted, lower case: "listen.imaps"
  Type type = Type::string;
  // The default as the text a file would hold (lists comma-separated); nullopt = required.
  std::optional<std::string> default_text;
  std::string doc;
  std::int64_t min = 0;              // integer only
  std::int64_t max = 0;              // integer only
  std::vector<std::string> choices;  // enumeration only
};

// Keys are checked as they are added (lower-case dotted words, unique, distinct environment
// names, no key that is also a section of another); a bad schema is a programming error and
// aborts with the offending name.
class Schema {
 public:
  Schema& add_string(std::string name, std::optional<std::string> default_value, std::string doc);
  // A string that --print-config hides (passwords, API keys).
  Schema& add_secret(std::string name, std::optional<std::string> default_value, std::string doc);
  Schema& add_bool(std::string name, std::optional<bool> default_value, std::string doc);
  Schema& add_integer(std::string name, std::optional<std::int64_t> default_value, std::int64_t min,
                      std::int64_t max, std::string doc);
  // Defaults as text: "64KiB", "30s".
  Schema& add_size(std::string name, std::optional<std::string> default_value, std::string doc);
  Schema& add_duration(std::string name, std::optional<std::string> default_value, std::string doc);
  // A default of "" makes the endpoint optional: empty means off. Otherwise empty is refused.
  Schema& add_endpoint(std::string name, std::optional<std::string> default_value, std::string doc);
  // Careful: a braced `{}` default is `required`; write std::vector<std::string>{} for empty.
  Schema& add_list(std::string name, std::optional<std::vector<std::string>> default_value,
                   std::string doc);
  Schema& add_enum(std::string name, std::vector<std::string> choices,
                   std::optional<std::string> default_value, std::string doc);

  const Key* find(std::string_view name) const;
  // The key whose environment suffix ("LISTEN_IMAPS") is `suffix`, if any.
  const Key* find_by_env_suffix(std::string_view suffix) const;
  // True when `prefix` is a section: some key is named "<prefix>.<...>".
  bool is_section(std::string_view prefix) const;
  // The key name closest to a misspelt one (edit distance ≤ 2), or "" when none is close.
  std::string closest_key(std::string_view name) const;
  // The same for a misspelt environment suffix ("LISTEN_IMAPZ"); nullptr when none is close.
  const Key* closest_by_env_suffix(std::string_view suffix) const;
  const std::vector<Key>& keys() const { return keys_; }

  // A Markdown table (key, environment variable, type, default, description) for a README.
  std::string markdown_table(std::string_view service) const;

 private:
  Schema& add(Key key);
  template <typename Projection>
  const Key* closest(std::string_view wanted, Projection name_of) const;
  std::vector<Key> keys_;
};

// The keys every service has: log.format, log.level, metrics.listen, drain.timeout.
void add_common_keys(Schema& schema);

// "smtp-in" → "TESSERA_SMTP_IN_".
std::string env_prefix(std::string_view service);
// "limits.max_line" → "LIMITS_MAX_LINE".
std::string env_suffix(std::string_view key);
// The full variable: "TESSERA_IMAP_LIMITS_MAX_LINE".
std::string env_name(std::string_view service, std::string_view key);
// "size", "integer 1..65536", "one of: plain, json" — for tables and messages.
std::string type_description(const Key& key);

}  // namespace tessera::config
