#include "config/schema.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace tessera::config {
namespace {

// A schema is written by a programmer, not an operator: a mistake in it must stop the
// program at its first run, in every build type, rather than surface as a config error.
[[noreturn]] void schema_bug(std::string_view name, std::string_view why) {
  std::fprintf(stderr, "config schema: key \"%.*s\": %.*s\n", static_cast<int>(name.size()),
               name.data(), static_cast<int>(why.size()), why.data());
  std::abort();
}

bool valid_name(std::string_view name) {
  bool segment_start = true;
  for (const char c : name) {
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
    } else if (segment_start ? (c >= 'a' && c <= 'z')
                             : ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      segment_start = false;
    } else {
      return false;
    }
  }
  return !segment_start;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

std::string table_default(const Key& key) {
  if (!key.default_text) return "required";
  if (key.default_text->empty()) return key.type == Type::endpoint ? "(empty: off)" : "(empty)";
  return "`" + *key.default_text + "`";
}

}  // namespace

Schema& Schema::add(Key key) {
  if (!valid_name(key.name)) schema_bug(key.name, "names are lower-case dotted words");
  for (const Key& other : keys_) {
    if (other.name == key.name) schema_bug(key.name, "declared twice");
    if (env_suffix(other.name) == env_suffix(key.name)) {
      schema_bug(key.name, "same environment variable as " + other.name);
    }
    if (other.name.starts_with(key.name + ".") || key.name.starts_with(other.name + ".")) {
      schema_bug(key.name, "a key cannot also be a section (" + other.name + ")");
    }
  }
  if (key.type == Type::enumeration && key.default_text &&
      std::find(key.choices.begin(), key.choices.end(), *key.default_text) == key.choices.end()) {
    schema_bug(key.name, "default is not one of the choices");
  }
  keys_.push_back(std::move(key));
  return *this;
}

Schema& Schema::add_string(std::string name, std::optional<std::string> default_value,
                           std::string doc) {
  return add(Key{std::move(name), Type::string, std::move(default_value), std::move(doc)});
}

Schema& Schema::add_secret(std::string name, std::optional<std::string> default_value,
                           std::string doc) {
  return add(Key{std::move(name), Type::secret, std::move(default_value), std::move(doc)});
}

Schema& Schema::add_bool(std::string name, std::optional<bool> default_value, std::string doc) {
  std::optional<std::string> text;
  if (default_value) text = *default_value ? "true" : "false";
  return add(Key{std::move(name), Type::boolean, std::move(text), std::move(doc)});
}

Schema& Schema::add_integer(std::string name, std::optional<std::int64_t> default_value,
                            std::int64_t min, std::int64_t max, std::string doc) {
  if (min > max) schema_bug(name, "min is above max");
  std::optional<std::string> text;
  if (default_value) text = std::to_string(*default_value);
  return add(Key{std::move(name), Type::integer, std::move(text), std::move(doc), min, max});
}

Schema& Schema::add_size(std::string name, std::optional<std::string> default_value,
                         std::string doc) {
  return add(Key{std::move(name), Type::size, std::move(default_value), std::move(doc)});
}

Schema& Schema::add_duration(std::string name, std::optional<std::string> default_value,
                             std::string doc) {
  return add(Key{std::move(name), Type::duration, std::move(default_value), std::move(doc)});
}

Schema& Schema::add_endpoint(std::string name, std::optional<std::string> default_value,
                             std::string doc) {
  return add(Key{std::move(name), Type::endpoint, std::move(default_value), std::move(doc)});
}

Schema& Schema::add_list(std::string name, std::optional<std::vector<std::string>> default_value,
                         std::string doc) {
  std::optional<std::string> text;
  if (default_value) {
    for (const std::string& item : *default_value) {
      if (item.find(',') != std::string::npos) schema_bug(name, "default items hold a comma");
    }
    text = join(*default_value, ",");
  }
  return add(Key{std::move(name), Type::list, std::move(text), std::move(doc)});
}

Schema& Schema::add_enum(std::string name, std::vector<std::string> choices,
                         std::optional<std::string> default_value, std::string doc) {
  if (choices.empty()) schema_bug(name, "an enum needs choices");
  return add(Key{std::move(name), Type::enumeration, std::move(default_value), std::move(doc), 0, 0,
                 std::move(choices)});
}

const Key* Schema::find(std::string_view name) const {
  for (const Key& key : keys_) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

const Key* Schema::find_by_env_suffix(std::string_view suffix) const {
  for (const Key& key : keys_) {
    if (env_suffix(key.name) == suffix) return &key;
  }
  return nullptr;
}

bool Schema::is_section(std::string_view prefix) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const Key& key) {
    return key.name.size() > prefix.size() && key.name.starts_with(prefix) &&
           key.name[prefix.size()] == '.';
  });
}

template <typename Projection>
const Key* Schema::closest(std::string_view wanted, Projection name_of) const {
  const Key* best = nullptr;
  std::size_t best_distance = 3;  // more than 2 edits away is not a typo of it
  for (const Key& key : keys_) {
    const std::size_t distance = edit_distance(wanted, name_of(key));
    if (distance < best_distance) {
      best = &key;
      best_distance = distance;
    }
  }
  return best;
}

std::string Schema::closest_key(std::string_view name) const {
  const Key* key = closest(name, [](const Key& k) { return k.name; });
  return key == nullptr ? std::string() : key->name;
}

const Key* Schema::closest_by_env_suffix(std::string_view suffix) const {
  return closest(suffix, [](const Key& k) { return env_suffix(k.name); });
}

std::string Schema::markdown_table(std::string_view service) const {
  std::string out =
      "| key | environment | type | default | description |\n"
      "|---|---|---|---|---|\n";
  for (const Key& key : keys_) {
    out += "| `" + key.name + "` | `" + env_name(service, key.name) + "` | " +
           type_description(key) + " | " + table_default(key) + " | " + key.doc + " |\n";
  }
  return out;
}

void add_common_keys(Schema& schema) {
  schema.add_enum("log.format", {"plain", "json"}, "plain",
                  "log lines for people (plain) or collectors (json, one object per line)");
  schema.add_enum("log.level", {"trace", "debug", "info", "warning", "error", "critical", "off"},
                  "info", "least severe level logged");
  schema.add_endpoint("metrics.listen", "", "where Prometheus scrapes `/metrics`; empty = off");
  schema.add_duration("drain.timeout", "30s",
                      "on SIGTERM, how long sessions may finish before they are closed");
}

std::string env_prefix(std::string_view service) {
  return "TESSERA_" + env_suffix(service) + "_";
}

std::string env_suffix(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    c = (c == '.' || c == '-') ? '_'
                               : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string env_name(std::string_view service, std::string_view key) {
  return env_prefix(service) + env_suffix(key);
}

std::string type_description(const Key& key) {
  switch (key.type) {
    case Type::string:
      return "string";
    case Type::secret:
      return "secret string";
    case Type::boolean:
      return "bool";
    case Type::integer:
      return "integer " + std::to_string(key.min) + ".." + std::to_string(key.max);
    case Type::size:
      return "size (`64KiB`, `50MB`)";
    case Type::duration:
      return "duration (`30s`, `5m`, `250ms`)";
    case Type::endpoint:
      return "endpoint (`host:port`, `[::1]:port`)";
    case Type::list:
      return "list (comma-separated in env)";
    case Type::enumeration:
      return "one of: " + join(key.choices, ", ");
  }
  return "?";
}

}  // namespace tessera::config
