#include "config/config.hpp"

#include <filesystem>
#include <fstream>

#include <stdlib.h>

#include <catch2/catch.hpp>

namespace tessera::config {
namespace {

using std::chrono::milliseconds;

Schema imap_schema() {
  Schema schema;
  schema.add_endpoint("listen.imaps", "0.0.0.0:993", "implicit TLS listener")
      .add_endpoint("listen.imap", "", "STARTTLS listener; empty = off")
      .add_string("tls.cert", required, "PEM certificate chain")
      .add_secret("store.token", "", "bearer token for the store")
      .add_integer("limits.max_connections", 1000, 1, 100000, "connections in total")
      .add_size("limits.max_line", "64KiB", "longest command line")
      .add_duration("limits.idle_timeout", "30m", "IDLE ends after this")
      .add_bool("auth.allow_plaintext", false, "LOGIN without TLS")
      .add_list("proxy.trusted", std::vector<std::string>{}, "PROXY v2 peers");
  add_common_keys(schema);
  return schema;
}

// The least a valid imap config needs.
const Environment kBaseEnv = {{"TESSERA_IMAP_TLS_CERT", "/etc/tessera/cert.pem"}};

Environment with(Environment env, const std::string& name, const std::string& value) {
  env[name] = value;
  return env;
}

Result<Config> parse(std::string_view yaml, const Environment& env = kBaseEnv) {
  return Config::parse_text("imap", imap_schema(), yaml, "imap.yaml", env);
}

std::string error_of(const Result<Config>& result) {
  REQUIRE_FALSE(result.has_value());
  return result.error().message;
}

TEST_CASE("defaults apply when neither file nor environment sets a key") {
  auto config = Config::load("imap", imap_schema(), std::nullopt, kBaseEnv);
  REQUIRE(config.has_value());
  CHECK(config->get_endpoint("listen.imaps") == Endpoint{"0.0.0.0", 993});
  CHECK_FALSE(config->get_endpoint("listen.imap").is_set());
  CHECK(config->get_int("limits.max_connections") == 1000);
  CHECK(config->get_size("limits.max_line") == 65536);
  CHECK(config->get_duration("limits.idle_timeout") == milliseconds(30 * 60 * 1000));
  CHECK_FALSE(config->get_bool("auth.allow_plaintext"));
  CHECK(config->get_list("proxy.trusted").empty());
  CHECK(config->get_string("log.format") == "plain");
  CHECK(config->get_string("log.level") == "info");
  CHECK_FALSE(config->get_endpoint("metrics.listen").is_set());
  CHECK(config->get_duration("drain.timeout") == milliseconds(30'000));
  CHECK(config->source("limits.max_line").kind == Source::Kind::default_value);
  CHECK(config->source("tls.cert").where == "TESSERA_IMAP_TLS_CERT");
}

TEST_CASE("environment beats file beats default") {
  const std::string yaml =
      "listen:\n"
      "  imaps: 127.0.0.1:993\n"
      "  imap: 127.0.0.1:143\n";
  auto config = parse(yaml, with(kBaseEnv, "TESSERA_IMAP_LISTEN_IMAPS", "127.0.0.1:10993"));
  REQUIRE(config.has_value());
  CHECK(config->get_endpoint("listen.imaps") == Endpoint{"127.0.0.1", 10993});
  CHECK(config->source("listen.imaps").describe() == "TESSERA_IMAP_LISTEN_IMAPS");
  CHECK(config->get_endpoint("listen.imap") == Endpoint{"127.0.0.1", 143});
  CHECK(config->source("listen.imap").kind == Source::Kind::file);
  CHECK(config->source("listen.imap").describe() == "imap.yaml line 3");
  CHECK(config->get_size("limits.max_line") == 65536);
  CHECK(config->source("limits.max_line").describe() == "the default");
}

TEST_CASE("nested maps and dotted keys name the same key") {
  auto nested = parse("limits:\n  max_line: 8KiB\n");
  auto dotted = parse("limits.max_line: 8KiB\n");
  auto flow = parse("{limits: {max_line: 8KiB}}");
  for (const auto* config : {&nested, &dotted, &flow}) {
    REQUIRE(config->has_value());
    CHECK((*config)->get_size("limits.max_line") == 8192);
  }
}

TEST_CASE("lists come from YAML sequences, YAML scalars and comma-separated env") {
  auto sequence = parse("proxy:\n  trusted: [10.0.0.0/8, \"192.0.2.1\"]\n");
  REQUIRE(sequence.has_value());
  CHECK(sequence->get_list("proxy.trusted") == std::vector<std::string>{"10.0.0.0/8", "192.0.2.1"});
  auto scalar = parse("proxy.trusted: 10.0.0.0/8, ::1\n");
  REQUIRE(scalar.has_value());
  CHECK(scalar->get_list("proxy.trusted") == std::vector<std::string>{"10.0.0.0/8", "::1"});
  auto env = parse("", with(kBaseEnv, "TESSERA_IMAP_PROXY_TRUSTED", "10.0.0.0/8,192.0.2.0/24"));
  REQUIRE(env.has_value());
  CHECK(env->get_list("proxy.trusted") == std::vector<std::string>{"10.0.0.0/8", "192.0.2.0/24"});
}

TEST_CASE("an unknown key in the file is named with the file") {
  auto got = Config::parse_text("imap", imap_schema(), "listen:\n  imapz: 127.0.0.1:993\n",
                                "/etc/tessera/imap.yaml", kBaseEnv);
  CHECK(error_of(got) ==
        "config /etc/tessera/imap.yaml: unknown key \"listen.imapz\" at line 2 "
        "(did you mean \"listen.imaps\"?)");
  CHECK(got.error().code == "config.unknown_key");
  CHECK(error_of(parse("colour: blue\n")) == "config imap.yaml: unknown key \"colour\" at line 1");
  CHECK(error_of(parse("tls:\n  cert: a\n  nested: {deeper: 1}\n")) ==
        "config imap.yaml: unknown key \"tls.nested\" at line 3");
}

TEST_CASE("an unknown TESSERA_<SERVICE>_ variable is named") {
  auto got = parse("", with(kBaseEnv, "TESSERA_IMAP_LISTEN_IMAPZ", "127.0.0.1:1"));
  CHECK(error_of(got) ==
        "config: unknown environment variable TESSERA_IMAP_LISTEN_IMAPZ "
        "(did you mean TESSERA_IMAP_LISTEN_IMAPS?)");
  CHECK(got.error().code == "config.unknown_key");
  // Other services' variables and unrelated ones are not this service's business.
  Environment others = with(kBaseEnv, "TESSERA_POP3_LISTEN_POP3S", "x");
  others["PATH"] = "/usr/bin";
  others["TESSERA_IMAPX"] = "y";
  CHECK(parse("", others).has_value());
}

TEST_CASE("a service name with a dash maps to an underscore") {
  auto got = Config::parse_text(
      "smtp-in", imap_schema(), "", "smtp-in.yaml",
      {{"TESSERA_SMTP_IN_TLS_CERT", "/c"}, {"TESSERA_SMTP_IN_LOG_FORMAT", "json"}});
  REQUIRE(got.has_value());
  CHECK(got->get_string("log.format") == "json");
}

TEST_CASE("a bad value names the key, its origin, the expectation and the value") {
  struct Case {
    std::string key_env;  // set this variable...
    std::string value;    // ...to this
    std::string want;
  };
  const std::vector<Case> cases = {
      {"LIMITS_MAX_LINE", "lots",
       "limits.max_line (from TESSERA_IMAP_LIMITS_MAX_LINE): expected a size like 64KiB or "
       "50MB, got \"lots\""},
      {"LIMITS_IDLE_TIMEOUT", "30",
       "limits.idle_timeout (from TESSERA_IMAP_LIMITS_IDLE_TIMEOUT): expected a duration like "
       "30s, 5m or 250ms, got \"30\""},
      {"LIMITS_MAX_CONNECTIONS", "0",
       "limits.max_connections (from TESSERA_IMAP_LIMITS_MAX_CONNECTIONS): expected an "
       "integer from 1 to 100000, got \"0\""},
      {"AUTH_ALLOW_PLAINTEXT", "sometimes",
       "auth.allow_plaintext (from TESSERA_IMAP_AUTH_ALLOW_PLAINTEXT): expected true or false, "
       "got \"sometimes\""},
      {"LISTEN_IMAPS", "993",
       "listen.imaps (from TESSERA_IMAP_LISTEN_IMAPS): expected an endpoint like "
       "127.0.0.1:143 or [::1]:143, got \"993\""},
      {"LOG_FORMAT", "xml",
       "log.format (from TESSERA_IMAP_LOG_FORMAT): expected one of plain|json, got \"xml\""},
  };
  for (const Case& c : cases) {
    auto got = parse("", with(kBaseEnv, "TESSERA_IMAP_" + c.key_env, c.value));
    INFO("variable=" << c.key_env << " value=\"" << c.value << "\"");
    CHECK(error_of(got) == "config: " + c.want);
    CHECK(got.error().code == "config.bad_value");
  }
}

TEST_CASE("a bad value in the file names the file and line") {
  CHECK(error_of(parse("log:\n  level: loud\n")) ==
        "config: log.level (from imap.yaml line 2): expected one of "
        "trace|debug|info|warning|error|critical|off, got \"loud\"");
  CHECK(error_of(parse("limits: {max_line: [1, 2]}\n")) ==
        "config: limits.max_line (from imap.yaml line 1): expected a single value, got a list");
  CHECK(error_of(parse("limits:\n  max_line: {a: 1}\n")) ==
        "config: limits.max_line (from imap.yaml line 2): expected a single value or a list "
        "of values, got a nested map or list");
  CHECK(error_of(parse("listen: 5\n")) ==
        "config imap.yaml: line 1: \"listen\" is a section: expected keys under it");
}

TEST_CASE("malformed YAML is one line with file, line and column") {
  for (const std::string yaml :
       {"listen: {imaps: [\n", "listen:\n  imaps: a\n bad indent: b\n", "a: b: c\n", "\t- tab\n"}) {
    auto got = parse(yaml);
    INFO("yaml=" << yaml);
    const std::string message = error_of(got);
    CHECK(got.error().code == "config.bad_yaml");
    CHECK(message.starts_with("config imap.yaml:"));
    CHECK(message.find("malformed YAML: ") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(error_of(parse("listen: {imaps: [\n")).starts_with("config imap.yaml:2:1: malformed"));
  CHECK(error_of(parse(std::string(5000, '[') + std::string(5000, ']'))) ==
        "config imap.yaml:1:1: malformed YAML: nested too deeply");
}

TEST_CASE("shapes the file may not have") {
  CHECK(error_of(parse("just a string\n")) ==
        "config imap.yaml: expected a map of keys at the top level");
  CHECK(error_of(parse("a: 1\n---\nb: 2\n")) ==
        "config imap.yaml: holds several YAML documents; want one");
  // yaml-cpp 0.7's LoadAll never returns on this (found by the fuzzer); we must.
  CHECK(error_of(parse("!x, y\n")) == "config imap.yaml: holds several YAML documents; want one");
  CHECK(error_of(parse("listen: {imaps: \"1.2.3.4:1\"}\nlisten.imaps: 1.2.3.4:2\n")) ==
        "config imap.yaml: key \"listen.imaps\" set twice (again at line 2)");
  CHECK(error_of(parse("? [a, b]\n: 1\n")) ==
        "config imap.yaml: line 1: a key must be a plain word");
  CHECK(error_of(parse(std::string(kMaxConfigBytes + 1, '#'))) ==
        "config imap.yaml: larger than 1 MiB; not a config file?");
}

TEST_CASE("empty documents and empty sections set nothing") {
  for (const std::string yaml : {"", "\n", "# only a comment\n", "---\n", "listen:\n"}) {
    auto got = parse(yaml);
    INFO("yaml=" << yaml);
    REQUIRE(got.has_value());
    CHECK(got->get_endpoint("listen.imaps") == Endpoint{"0.0.0.0", 993});
  }
  auto off = parse("metrics:\n  listen:\n");
  REQUIRE(off.has_value());
  CHECK_FALSE(off->get_endpoint("metrics.listen").is_set());
  // An endpoint with a non-empty default is turned off by an empty value ("empty = off").
  auto no_tls_port = parse("listen:\n  imaps: ''\n");
  REQUIRE(no_tls_port.has_value());
  CHECK_FALSE(no_tls_port->get_endpoint("listen.imaps").is_set());
}

TEST_CASE("a required key left unset names its file and variable") {
  auto got = Config::parse_text("imap", imap_schema(), "", "/etc/tessera/imap.yaml", {});
  CHECK(error_of(got) ==
        "config: tls.cert is required: set it in /etc/tessera/imap.yaml or "
        "TESSERA_IMAP_TLS_CERT");
  CHECK(got.error().code == "config.missing");
  CHECK(error_of(Config::load("imap", imap_schema(), std::nullopt, {})) ==
        "config: tls.cert is required: set it in the config file or TESSERA_IMAP_TLS_CERT");
}

TEST_CASE("load reads the file it is given, and fails when it is missing") {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_config_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / "imap.yaml";
  std::ofstream(path) << "tls:\n  cert: /from/file.pem\nlimits:\n  max_line: 1MiB\n";
  auto config = Config::load("imap", imap_schema(), path, {});
  REQUIRE(config.has_value());
  CHECK(config->get_string("tls.cert") == "/from/file.pem");
  CHECK(config->get_size("limits.max_line") == 1024 * 1024);
  CHECK(config->source("tls.cert").describe() == path.string() + " line 2");

  auto missing = Config::load("imap", imap_schema(), dir / "absent.yaml", kBaseEnv);
  CHECK(error_of(missing) ==
        "config " + (dir / "absent.yaml").string() + ": cannot read: No such file or directory");
  CHECK(missing.error().code == "config.unreadable");
  CHECK(error_of(Config::load("imap", imap_schema(), dir, kBaseEnv)) ==
        "config " + dir.string() + ": cannot read: Is a directory");
  std::filesystem::remove_all(dir);
}

TEST_CASE("describe lists every key with value and origin, secrets hidden") {
  Environment env = with(kBaseEnv, "TESSERA_IMAP_STORE_TOKEN", "s3cret");
  auto config = parse("limits:\n  max_line: 8KiB\n", env);
  REQUIRE(config.has_value());
  const std::string text = config->describe();
  INFO(text);
  CHECK(text.find("limits.max_line        = 8KiB  (imap.yaml line 2)\n") != std::string::npos);
  CHECK(text.find("store.token            = (hidden)  (TESSERA_IMAP_STORE_TOKEN)\n") !=
        std::string::npos);
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("drain.timeout          = 30s  (the default)\n") != std::string::npos);
  CHECK(text.find("log.format") < text.find("log.level"));  // sorted by key
}

TEST_CASE("process_environment reads the process's variables") {
  REQUIRE(setenv("TESSERA_CONFIG_TEST_PROBE", "a=b", 1) == 0);
  const Environment env = process_environment();
  unsetenv("TESSERA_CONFIG_TEST_PROBE");
  REQUIRE(env.count("TESSERA_CONFIG_TEST_PROBE") == 1);
  CHECK(env.at("TESSERA_CONFIG_TEST_PROBE") == "a=b");
}

}  // namespace
}  // namespace tessera::config
