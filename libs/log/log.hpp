// Process logging: one spdlog default logger writing to stderr, as plain lines for people or
// JSON lines for collectors (design.md §6 "structured logs"). Both formats put one message on
// exactly one line: a peer-supplied string cannot forge a log line, and the JSON is valid UTF-8
// whatever bytes the message held. Services call `init` once in main, then use spdlog::info(...).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include "base/result.hpp"

namespace tessera::log {

enum class Format { plain, json };

struct Options {
  Format format = Format::plain;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string service;  // "imap"; every line carries it
};

// "trace", "debug", "info", "warning" (or "warn"), "error" (or "err"), "critical", "off";
// anything else is log.bad_level naming the word.
Result<spdlog::level::level_enum> parse_level(std::string_view word);

// "plain" or "json"; anything else is log.bad_format.
Result<Format> parse_format(std::string_view word);

// Installs the default logger: stderr, `options.format`, `options.level`.
void init(const Options& options);

// The logger init installs, on any sink (tests use an ostream sink).
std::shared_ptr<spdlog::logger> make_logger(const Options& options, spdlog::sink_ptr sink);

// plain: `2024-02-29T23:59:59.007Z info imap: message`, control characters and invalid UTF-8
// shown as \n, \t, \xNN.
// json:  `{"ts":"2024-02-29T23:59:59.007Z","level":"info","service":"imap","msg":"message"}`,
// escaped per RFC 8259 §7, invalid UTF-8 replaced by U+FFFD (RFC 8259 §8.1 requires UTF-8).
std::unique_ptr<spdlog::formatter> make_formatter(Format format, std::string service);

// Appends `text` as the body of a JSON string (without the quotes).
void append_json_escaped(std::string_view text, std::string& out);

}  // namespace tessera::log
