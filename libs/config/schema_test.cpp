#include "config/schema.hpp"

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "config/config.hpp"

namespace tessera::config {
namespace {

TEST_CASE("environment names follow TESSERA_<SERVICE>_<KEY>") {
  CHECK(env_name("imap", "listen.imaps") == "TESSERA_IMAP_LISTEN_IMAPS");
  CHECK(env_name("smtp-in", "limits.max_line") == "TESSERA_SMTP_IN_LIMITS_MAX_LINE");
  CHECK(env_prefix("pop3") == "TESSERA_POP3_");
}

TEST_CASE("closest_key suggests a near key and nothing for a far one") {
  Schema schema;
  add_common_keys(schema);
  CHECK(schema.closest_key("log.formta") == "log.format");
  CHECK(schema.closest_key("metrics.lisen") == "metrics.listen");
  CHECK(schema.closest_key("something.else").empty());
  REQUIRE(schema.closest_by_env_suffix("LOG_LEVL") != nullptr);
  CHECK(schema.closest_by_env_suffix("LOG_LEVL")->name == "log.level");
  CHECK(schema.closest_by_env_suffix("QUEUE_WORKERS") == nullptr);
}

TEST_CASE("sections are the prefixes of keys") {
  Schema schema;
  add_common_keys(schema);
  CHECK(schema.is_section("log"));
  CHECK(schema.is_section("metrics"));
  CHECK_FALSE(schema.is_section("lo"));
  CHECK_FALSE(schema.is_section("log.format"));
}

TEST_CASE("markdown_table has one row per key with its variable, type and default") {
  Schema schema;
  schema.add_string("tls.cert", required, "PEM certificate chain")
      .add_integer("limits.max_connections", 1000, 1, 100000, "connections in total")
      .add_list("proxy.trusted", std::vector<std::string>{"10.0.0.0/8", "::1"}, "PROXY peers");
  CHECK(schema.markdown_table("imap") ==
        "| key | environment | type | default | description |\n"
        "|---|---|---|---|---|\n"
        "| `tls.cert` | `TESSERA_IMAP_TLS_CERT` | string | required | PEM certificate chain |\n"
        "| `limits.max_connections` | `TESSERA_IMAP_LIMITS_MAX_CONNECTIONS` | integer "
        "1..100000 | `1000` | connections in total |\n"
        "| `proxy.trusted` | `TESSERA_IMAP_PROXY_TRUSTED` | list (comma-separated in env) | "
        "`10.0.0.0/8,::1` | PROXY peers |\n");
}

TEST_CASE("every common key has a default that parses") {
  Schema schema;
  add_common_keys(schema);
  REQUIRE(schema.keys().size() == 4);
  auto config = Config::load("any", schema, std::nullopt, {});
  REQUIRE(config.has_value());
  CHECK(config->get_string("log.format") == "plain");
}

TEST_CASE("the README shows the common keys as add_common_keys declares them") {
  Schema schema;
  add_common_keys(schema);
  std::ifstream readme(TESSERA_CONFIG_README);
  REQUIRE(readme.good());
  std::stringstream text;
  text << readme.rdbuf();
  INFO("regenerate the table in libs/config/README.md:\n" << schema.markdown_table("<service>"));
  CHECK(text.str().find(schema.markdown_table("<service>")) != std::string::npos);
}

}  // namespace
}  // namespace tessera::config
