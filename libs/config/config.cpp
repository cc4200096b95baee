#include "config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "config/sources.hpp"

extern char** environ;  // POSIX

namespace tessera::config {
namespace detail {
namespace {

using Value = std::variant<std::string, bool, std::int64_t, std::uint64_t,
                           std::chrono::milliseconds, Endpoint, std::vector<std::string>>;

// Adds "config: <key> (from <source>): " to a parser's "expected ..., got ..." message.
Error with_origin(const Key& key, const Source& source, const Error& error) {
  return make_error(error.code,
                    "config: " + key.name + " (from " + source.describe() + "): " + error.message);
}

template <typename T>
Result<Value> lift(Result<T> parsed) {
  if (!parsed) return parsed.error();
  return Value(std::move(*parsed));
}

Result<Value> parse_enum(const Key& key, const std::string& text) {
  for (const std::string& choice : key.choices) {
    if (choice == text) return Value(choice);
  }
  std::string choices;
  for (const std::string& choice : key.choices)
    choices += (choices.empty() ? "" : "|") + choice;
  return make_error(std::string(kBadValue),
                    "expected one of " + choices + ", got \"" + text + "\"");
}

Result<Value> parse_scalar(const Key& key, const std::string& text) {
  switch (key.type) {
    case Type::string:
    case Type::secret:
      return Value(text);
    case Type::boolean:
      return lift(parse_bool(text));
    case Type::integer:
      return lift(parse_integer(text, key.min, key.max));
    case Type::size:
      return lift(parse_size(text));
    case Type::duration:
      return lift(parse_duration(text));
    case Type::endpoint:
      // An endpoint with a default may be set empty to turn it off ("listen.imap: ''");
      // a required one may not.
      return lift(parse_endpoint(text, key.default_text.has_value()));
    case Type::list:
      return Value(split_list(text));
    case Type::enumeration:
      return parse_enum(key, text);
  }
  return make_error(std::string(kBadValue), "unknown type");
}

Result<Value> convert(const Key& key, const RawValue& raw) {
  Result<Value> value = make_error(std::string(kBadValue), "expected a single value, got a list");
  if (const auto* items = std::get_if<std::vector<std::string>>(&raw.value)) {
    if (key.type == Type::list) value = Value(*items);
  } else {
    value = parse_scalar(key, std::get<std::string>(raw.value));
  }
  if (!value) return with_origin(key, raw.source, value.error());
  return value;
}

std::string text_of(const RawValue& raw) {
  if (const auto* text = std::get_if<std::string>(&raw.value)) return *text;
  std::string joined;
  for (const std::string& item : std::get<std::vector<std::string>>(raw.value)) {
    joined += (joined.empty() ? "" : ", ") + item;
  }
  return joined;
}

Error missing(std::string_view service, const Key& key, std::string_view source_name) {
  std::string where = source_name.empty() ? "the config file" : std::string(source_name);
  return make_error(std::string(kMissing), "config: " + key.name + " is required: set it in " +
                                               where + " or " + env_name(service, key.name));
}

}  // namespace

// Builds a Config from the raw values of each source; env beats file beats default.
class Builder {
 public:
  static Result<Config> build(std::string_view service, const Schema& schema, const RawValues& file,
                              const RawValues& env, std::string_view source_name) {
    Config config;
    config.service_ = std::string(service);
    config.schema_ = schema;
    for (const Key& key : schema.keys()) {
      const RawValue* raw = nullptr;
      if (auto it = env.find(key.name); it != env.end()) raw = &it->second;
      if (auto it = file.find(key.name); raw == nullptr && it != file.end()) raw = &it->second;
      std::optional<RawValue> fallback;
      if (raw == nullptr && key.default_text) raw = &fallback.emplace(RawValue{*key.default_text});
      if (raw == nullptr) return missing(service, key, source_name);
      auto value = convert(key, *raw);
      if (!value) return value.error();
      config.entries_.emplace(key.name,
                              Config::Entry{std::move(*value), text_of(*raw), raw->source});
    }
    return config;
  }
};

}  // namespace detail

namespace {

// Reads at most kMaxConfigBytes + 1 bytes, so an oversized file is noticed without reading it all.
Result<std::string> read_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(name.c_str(), "rb"), std::fclose);
  std::string text(kMaxConfigBytes + 1, '\0');
  std::size_t got = 0;
  if (file) got = std::fread(text.data(), 1, text.size(), file.get());
  if (!file || std::ferror(file.get())) {
    return make_error(std::string(detail::kUnreadable),
                      "config " + name + ": cannot read: " + std::strerror(errno));
  }
  text.resize(got);
  return text;
}

[[noreturn]] void bad_getter(std::string_view key, std::string_view getter) {
  std::fprintf(stderr, "config: %.*s(\"%.*s\"): no such key of that type in the schema\n",
               static_cast<int>(getter.size()), getter.data(), static_cast<int>(key.size()),
               key.data());
  std::abort();
}

}  // namespace

std::string Source::describe() const {
  return kind == Kind::default_value ? "the default" : where;
}

Environment process_environment() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return environment;
}

Result<Config> Config::load(std::string_view service, const Schema& schema,
                            const std::optional<std::filesystem::path>& yaml_path,
                            const Environment& environment) {
  if (!yaml_path) return parse_text(service, schema, "", "", environment);
  auto text = read_file(*yaml_path);
  if (!text) return text.error();
  return parse_text(service, schema, *text, yaml_path->string(), environment);
}

Result<Config> Config::parse_text(std::string_view service, const Schema& schema,
                                  std::string_view yaml_text, std::string_view source_name,
                                  const Environment& environment) {
  if (yaml_text.size() > kMaxConfigBytes) {
    return make_error(
        std::string(detail::kUnreadable),
        "config " + std::string(source_name) + ": larger than 1 MiB; not a config file?");
  }
  auto file = detail::read_yaml(schema, yaml_text, source_name);
  if (!file) return file.error();
  auto env = detail::read_environment(schema, service, environment);
  if (!env) return env.error();
  return detail::Builder::build(service, schema, *file, *env, source_name);
}

const Config::Entry& Config::entry(std::string_view key, std::string_view getter) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) bad_getter(key, getter);
  return it->second;
}

template <typename T>
const T& Config::get(std::string_view key, std::string_view getter) const {
  const T* value = std::get_if<T>(&entry(key, getter).value);
  if (value == nullptr) bad_getter(key, getter);
  return *value;
}

const std::string& Config::get_string(std::string_view key) const {
  return get<std::string>(key, "get_string");
}
bool Config::get_bool(std::string_view key) const {
  return get<bool>(key, "get_bool");
}
std::int64_t Config::get_int(std::string_view key) const {
  return get<std::int64_t>(key, "get_int");
}
std::uint64_t Config::get_size(std::string_view key) const {
  return get<std::uint64_t>(key, "get_size");
}
std::chrono::milliseconds Config::get_duration(std::string_view key) const {
  return get<std::chrono::milliseconds>(key, "get_duration");
}
const Endpoint& Config::get_endpoint(std::string_view key) const {
  return get<Endpoint>(key, "get_endpoint");
}
const std::vector<std::string>& Config::get_list(std::string_view key) const {
  return get<std::vector<std::string>>(key, "get_list");
}
const Source& Config::source(std::string_view key) const {
  return entry(key, "source").source;
}

std::string Config::describe() const {
  std::size_t width = 0;
  for (const auto& [name, unused] : entries_)
    width = std::max(width, name.size());
  std::string out;
  for (const auto& [name, entry] : entries_) {
    const bool hidden = schema_.find(name)->type == Type::secret && !entry.text.empty();
    out += name + std::string(width - name.size(), ' ') + " = " +
           (hidden ? "(hidden)" : entry.text) + "  (" + entry.source.describe() + ")\n";
  }
  return out;
}

}  // namespace tessera::config
