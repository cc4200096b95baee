// Fuzz target for libs/config: arbitrary bytes as a service's YAML file. Config::parse_text must
// return a value or an Error for every input — never throw, crash or hang — and a loaded
// config must answer every getter. The first line is also fed to the value parsers and, as an
// environment override, through the same path the environment takes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

namespace {

using namespace tessera::config;

const Schema& fuzz_schema() {
  static const Schema schema = [] {
    Schema s;
    s.add_endpoint("listen.imaps", "0.0.0.0:993", "")
        .add_endpoint("listen.imap", "", "")
        .add_string("tls.cert", "", "")
        .add_secret("store.token", "", "")
        .add_integer("limits.max_connections", 1000, 1, 100000, "")
        .add_size("limits.max_line", "64KiB", "")
        .add_duration("limits.idle_timeout", "30m", "")
        .add_bool("auth.allow_plaintext", false, "")
        .add_list("proxy.trusted", std::vector<std::string>{}, "");
    add_common_keys(s);
    return s;
  }();
  return schema;
}

void use(const Config& config) {
  (void)config.get_endpoint("listen.imaps").to_string();
  (void)config.get_string("tls.cert");
  (void)config.get_int("limits.max_connections");
  (void)config.get_size("limits.max_line");
  (void)config.get_duration("limits.idle_timeout");
  (void)config.get_bool("auth.allow_plaintext");
  (void)config.get_list("proxy.trusted");
  (void)config.describe();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view first_line = text.substr(0, text.find('\n'));
  (void)parse_size(first_line);
  (void)parse_duration(first_line);
  (void)parse_endpoint(first_line, true);
  (void)split_list(first_line);

  if (auto config = Config::parse_text("fuzz", fuzz_schema(), text, "fuzz.yaml", {})) {
    use(*config);
  }
  const Environment env = {{"TESSERA_FUZZ_LIMITS_MAX_LINE", std::string(first_line)},
                           {"TESSERA_FUZZ_PROXY_TRUSTED", std::string(first_line)}};
  if (auto config = Config::parse_text("fuzz", fuzz_schema(), "", "fuzz.yaml", env)) {
    use(*config);
  }
  return 0;
}
