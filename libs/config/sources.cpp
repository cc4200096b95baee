#include "config/sources.hpp"

#include <exception>
#include <sstream>
#include <utility>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace tessera::config::detail {
namespace {

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// yaml-cpp marks are 0-based and -1 when unknown.
std::string line_of(const YAML::Mark& mark) {
  return mark.is_null() ? std::string() : " line " + std::to_string(mark.line + 1);
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

Error unknown_key(const Schema& schema, std::string_view source_name, const std::string& path,
                  const YAML::Mark& mark) {
  std::string message = "config " + std::string(source_name) + ": unknown key " + in_quotes(path);
  if (!mark.is_null()) message += " at" + line_of(mark);
  if (const std::string near = schema.closest_key(path); !near.empty()) {
    message += " (did you mean " + in_quotes(near) + "?)";
  }
  return make_error(std::string(kUnknownKey), std::move(message));
}

// The raw value of a leaf: a scalar, an empty value (YAML null), or a sequence of scalars.
Result<RawValue> leaf_value(const Key& key, const YAML::Node& node, Source source) {
  if (node.IsNull()) return RawValue{std::string(), std::move(source)};
  if (node.IsScalar()) return RawValue{node.Scalar(), std::move(source)};
  if (node.IsSequence()) {
    std::vector<std::string> items;
    bool scalars = true;
    for (const YAML::Node& item : node) {
      scalars = scalars && item.IsScalar();
      if (scalars) items.push_back(item.Scalar());
    }
    if (scalars) return RawValue{std::move(items), std::move(source)};
  }
  return make_error(std::string(kBadValue), "config: " + key.name + " (from " + source.describe() +
                                                "): expected a single value or a list of "
                                                "values, got a nested map or list");
}

struct Walker {
  const Schema& schema;
  std::string_view source_name;
  RawValues& out;

  Status walk(const YAML::Node& map, const std::string& prefix) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node name = it->first;
      if (!name.IsScalar()) {
        return make_error(std::string(kBadYaml), "config " + std::string(source_name) + ":" +
                                                     line_of(name.Mark()) +
                                                     ": a key must be a plain word");
      }
      const std::string path = prefix.empty() ? name.Scalar() : prefix + "." + name.Scalar();
      if (Status status = visit(path, name.Mark(), it->second); !status) return status;
    }
    return {};
  }

  Status visit(const std::string& path, const YAML::Mark& mark, const YAML::Node& value) {
    if (const Key* key = schema.find(path)) {
      Source source{Source::Kind::file, std::string(source_name) + line_of(mark)};
      auto raw = leaf_value(*key, value, std::move(source));
      if (!raw) return raw.error();
      if (!out.emplace(path, std::move(*raw)).second) {
        return make_error(std::string(kBadYaml),
                          "config " + std::string(source_name) + ": key " + in_quotes(path) +
                              " set twice" +
                              (mark.is_null() ? "" : " (again at" + line_of(mark) + ")"));
      }
      return {};
    }
    if (!schema.is_section(path)) return unknown_key(schema, source_name, path, mark);
    if (value.IsNull()) return {};  // "listen:" with nothing under it sets nothing
    if (!value.IsMap()) {
      return make_error(std::string(kBadValue), "config " + std::string(source_name) + ":" +
                                                    line_of(mark) + ": " + in_quotes(path) +
                                                    " is a section: expected keys under it");
    }
    return walk(value, path);
  }
};

// Ignores every event: used only to count documents.
class IgnoreEvents : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Whether the text holds more than one document. Not YAML::LoadAll: yaml-cpp 0.7 can stop
// advancing after a top-level tagged scalar ("!x, y") and then yields empty documents forever,
// so at most two are asked for.
bool several_documents(std::string_view text) {
  std::istringstream stream{std::string(text)};
  YAML::Parser parser(stream);
  IgnoreEvents ignore;
  return parser.HandleNextDocument(ignore) && parser.HandleNextDocument(ignore);
}

Result<RawValues> read_document(const Schema& schema, const YAML::Node& root,
                                std::string_view source_name) {
  RawValues values;
  if (root.IsNull()) return values;  // an empty file sets nothing
  if (!root.IsMap()) {
    return make_error(std::string(kBadYaml), "config " + std::string(source_name) +
                                                 ": expected a map of keys at the top level");
  }
  Walker walker{schema, source_name, values};
  if (Status status = walker.walk(root, ""); !status) return status.error();
  return values;
}

}  // namespace

Result<RawValues> read_yaml(const Schema& schema, std::string_view text,
                            std::string_view source_name) {
  // yaml-cpp reports every problem by throwing; this is the boundary where they become values.
  try {
    if (several_documents(text)) {
      return make_error(std::string(kBadYaml), "config " + std::string(source_name) +
                                                   ": holds several YAML documents; want one");
    }
    return read_document(schema, YAML::Load(std::string(text)), source_name);
  } catch (const YAML::Exception& e) {
    std::string where = std::string(source_name);
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    // yaml-cpp stops runaway nesting (a stack overflow otherwise) with a vague "bad file".
    const bool too_deep = dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr;
    return make_error(std::string(kBadYaml),
                      "config " + where + ": malformed YAML: " +
                          (too_deep ? "nested too deeply" : one_line(e.msg)));
  } catch (const std::exception& e) {
    return make_error(std::string(kBadYaml), "config " + std::string(source_name) +
                                                 ": cannot parse: " + one_line(e.what()));
  }
}

Result<RawValues> read_environment(const Schema& schema, std::string_view service,
                                   const Environment& environment) {
  const std::string prefix = env_prefix(service);
  RawValues values;
  for (const auto& [name, text] : environment) {
    if (!name.starts_with(prefix)) continue;
    const Key* key = schema.find_by_env_suffix(std::string_view(name).substr(prefix.size()));
    if (key == nullptr) {
      std::string message = "config: unknown environment variable " + name;
      const std::string_view suffix = std::string_view(name).substr(prefix.size());
      if (const Key* near = schema.closest_by_env_suffix(suffix)) {
        message += " (did you mean " + env_name(service, near->name) + "?)";
      }
      return make_error(std::string(kUnknownKey), std::move(message));
    }
    values.emplace(key->name, RawValue{text, Source{Source::Kind::environment, name}});
  }
  return values;
}

}  // namespace tessera::config::detail
