// service::main: the start-up sequence shared by every service binary.
#include <cstdio>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "log/log.hpp"
#include "metrics/metrics.hpp"
#include "service/runtime.hpp"

namespace tessera::service {
namespace {

struct Arguments {
  std::optional<std::filesystem::path> config_path;
  bool print_config = false;
  bool config_doc = false;
  bool help = false;
  bool version = false;
};

Result<Arguments> parse_arguments(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" || arg == "-c") {
      if (i + 1 == argc) return make_error("usage", "--config needs a file");
      args.config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      args.config_path = std::string(arg.substr(9));
    } else if (arg == "--print-config") {
      args.print_config = true;
    } else if (arg == "--config-doc") {
      args.config_doc = true;
    } else if (arg == "--help" || arg == "-h") {
      args.help = true;
    } else if (arg == "--version") {
      args.version = true;
    } else {
      return make_error("usage", "unknown option " + std::string(arg) + " (see --help)");
    }
  }
  return args;
}

void print_help(const Info& info) {
  std::printf(
      "Usage: tessera-%s [--config FILE] [--print-config] [--config-doc] [--version]\n\n%s\n\n"
      "  --config FILE   YAML configuration; every key can also be set as TESSERA_%s_<KEY>\n"
      "  --print-config  print the effective configuration with each value's origin, and exit\n"
      "  --config-doc    print the configuration keys as a Markdown table, and exit\n\n"
      "SIGTERM or SIGINT drains (stop accepting, finish sessions until drain.timeout);\n"
      "SIGHUP reloads the TLS certificate.\n",
      info.name.c_str(), info.summary.c_str(), config::env_prefix(info.name).c_str());
}

int fail(const Info& info, int status, const std::string& message) {
  std::fprintf(stderr, "tessera-%s: %s\n", info.name.c_str(), message.c_str());
  return status;
}

// Runs the io_context on `threads` threads until the lifecycle stops it.
void serve(asio::io_context& io, std::size_t threads) {
  std::vector<std::jthread> pool;
  for (std::size_t i = 1; i < threads; ++i)
    pool.emplace_back([&io] { io.run(); });
  io.run();
}

}  // namespace

int main(int argc, char** argv, const Info& info, config::Schema schema, const Setup& setup) {
  auto args = parse_arguments(argc, argv);
  if (!args) return fail(info, 2, args.error().message);
  if (args->help) return print_help(info), 0;
  if (args->version)
    return std::printf("tessera-%s %s\n", info.name.c_str(),
                       std::string(metrics::version()).c_str()),
           0;
  config::add_common_keys(schema);
  if (args->config_doc) return std::printf("%s", schema.markdown_table(info.name).c_str()), 0;

  auto config =
      config::Config::load(info.name, schema, args->config_path, config::process_environment());
  if (!config) return fail(info, 2, config.error().message);
  if (args->print_config) return std::printf("%s", config->describe().c_str()), 0;

  auto format = log::parse_format(config->get_string("log.format"));
  auto level = log::parse_level(config->get_string("log.level"));
  log::init({.format = *format, .level = *level, .service = info.name});
  metrics::set_build_info(info.name);
  std::unique_ptr<metrics::Endpoint> metrics_endpoint;
  if (const auto& where = config->get_endpoint("metrics.listen"); where.is_set()) {
    auto started = metrics::Endpoint::start(where.to_string());
    if (!started) return fail(info, 1, started.error().message);
    metrics_endpoint = std::move(*started);
  }

  asio::io_context io;
  const auto threads =
      static_cast<std::size_t>(schema.find("threads") != nullptr ? config->get_int("threads") : 1);
  Runtime runtime(io, std::move(*config), info.name);
  if (schema.find("tls.cert") != nullptr) {
    if (auto prepared = runtime.prepare(); !prepared) {
      return fail(info, 1, prepared.error().message);
    }
  }
  if (auto started = setup(runtime); !started) return fail(info, 1, started.error().message);
  runtime.announce();
  runtime.lifecycle().start();
  spdlog::info("tessera-{} {} started", info.name, metrics::version());
  serve(io, threads);
  return 0;
}

}  // namespace tessera::service
