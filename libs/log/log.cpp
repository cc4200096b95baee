#include "log/log.hpp"

#include <array>
#include <utility>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace tessera::log {
namespace {

struct LevelWord {
  std::string_view word;
  spdlog::level::level_enum level;
};

// spdlog's own names plus the two abbreviations operators reach for.
constexpr std::array<LevelWord, 9> kLevels = {{{"trace", spdlog::level::trace},
                                               {"debug", spdlog::level::debug},
                                               {"info", spdlog::level::info},
                                               {"warning", spdlog::level::warn},
                                               {"warn", spdlog::level::warn},
                                               {"error", spdlog::level::err},
                                               {"err", spdlog::level::err},
                                               {"critical", spdlog::level::critical},
                                               {"off", spdlog::level::off}}};

}  // namespace

Result<spdlog::level::level_enum> parse_level(std::string_view word) {
  for (const LevelWord& entry : kLevels) {
    if (entry.word == word) return entry.level;
  }
  return make_error("log.bad_level", "log level \"" + std::string(word) +
                                         "\" is not one of trace, debug, info, warning, error, "
                                         "critical, off");
}

Result<Format> parse_format(std::string_view word) {
  if (word == "plain") return Format::plain;
  if (word == "json") return Format::json;
  return make_error("log.bad_format",
                    "log format \"" + std::string(word) + "\" is not one of plain, json");
}

std::shared_ptr<spdlog::logger> make_logger(const Options& options, spdlog::sink_ptr sink) {
  sink->set_formatter(make_formatter(options.format, options.service));
  auto logger = std::make_shared<spdlog::logger>(options.service, std::move(sink));
  logger->set_level(options.level);
  return logger;
}

void init(const Options& options) {
  // stderr: stdout may be a protocol stream in tools, and container runtimes collect both.
  spdlog::set_default_logger(
      make_logger(options, std::make_shared<spdlog::sinks::stderr_sink_mt>()));
}

}  // namespace tessera::log
