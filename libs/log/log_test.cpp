#include "log/log.hpp"

#include <map>
#include <optional>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>

#include "base/utf8.hpp"

namespace tessera::log {
namespace {

// A strict reader for the one JSON shape we emit: a flat object of string values. It checks
// RFC 8259 grammar for that shape (escapes, no raw control characters, surrogate pairs) and
// decodes the strings, so a test can compare a message with what was logged.
class JsonLine {
 public:
  static std::optional<std::map<std::string, std::string>> parse(std::string_view text) {
    JsonLine reader{text};
    std::map<std::string, std::string> object;
    if (!reader.take('{')) return std::nullopt;
    do {
      auto key = reader.string();
      if (!key || !reader.take(':')) return std::nullopt;
      auto value = reader.string();
      if (!value) return std::nullopt;
      object[*key] = *value;
    } while (reader.take(','));
    if (!reader.take('}') || reader.pos_ != text.size()) return std::nullopt;
    return object;
  }

 private:
  explicit JsonLine(std::string_view text) : text_(text) {}

  bool take(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  std::optional<unsigned> hex4() {
    if (pos_ + 4 > text_.size()) return std::nullopt;
    unsigned value = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[pos_++];
      const auto digit = std::string_view("0123456789abcdef").find(static_cast<char>(c | 0x20));
      if (digit == std::string_view::npos) return std::nullopt;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    return value;
  }

  bool escape(std::string& out) {
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_++];
    const std::string_view simple = "\"\\/bfnrt";
    const std::string_view decoded = "\"\\/\b\f\n\r\t";
    if (const auto k = simple.find(c); k != std::string_view::npos) {
      out.push_back(decoded[k]);
      return true;
    }
    if (c != 'u') return false;
    auto cp = hex4();
    if (!cp || (*cp >= 0xDC00 && *cp <= 0xDFFF)) return false;
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
      if (!take('\\') || !take('u')) return false;
      auto low = hex4();
      if (!low || *low < 0xDC00 || *low > 0xDFFF) return false;
      cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
    }
    tessera::append_utf8(out, static_cast<char32_t>(*cp));
    return true;
  }

  std::optional<std::string> string() {
    if (!take('"')) return std::nullopt;
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(c);
      } else if (!escape(out)) {
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

struct Capture {
  std::ostringstream stream;
  std::shared_ptr<spdlog::logger> logger;

  Capture(Format format, std::string service, spdlog::level::level_enum level) {
    logger = make_logger(Options{format, level, std::move(service)},
                         std::make_shared<spdlog::sinks::ostream_sink_mt>(stream));
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(stream.str());
    for (std::string line; std::getline(in, line);)
      out.push_back(line);
    return out;
  }
};

std::string format_at(Format format, spdlog::log_clock::time_point time,
                      spdlog::level::level_enum level, std::string_view text) {
  auto formatter = make_formatter(format, "imap");
  spdlog::memory_buf_t buffer;
  formatter->format(spdlog::details::log_msg(time, {}, "imap", level, text), buffer);
  return fmt::to_string(buffer);
}

// 2024-02-29T23:59:59.007Z: a leap day, the last second, single-digit milliseconds.
const auto kLeapSecond = spdlog::log_clock::time_point(std::chrono::milliseconds(1709251199007));

TEST_CASE("JSON lines stay valid JSON and decode to the message") {
  struct Case {
    std::string message;
    std::string want;  // decoded msg field
  };
  const std::vector<Case> cases = {
      {"plain words", "plain words"},
      {"say \"hi\"", "say \"hi\""},
      {"C:\\path\\", "C:\\path\\"},
      {"two\nlines\r\n", "two\nlines\r\n"},
      {std::string("nul\0byte", 8), std::string("nul\0byte", 8)},
      {"bell\a tab\t esc\x1b del\x7f", "bell\a tab\t esc\x1b del\x7f"},
      {"Grüße, 日本, 😀", "Grüße, 日本, 😀"},
      {"latin1 \xE9t\xE9", "latin1 \xEF\xBF\xBDt\xEF\xBF\xBD"},                      // lone bytes
      {"overlong \xC0\xAF", "overlong \xEF\xBF\xBD\xEF\xBF\xBD"},                    // never valid
      {"surrogate \xED\xA0\x80", "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // U+D800
      {"cut \xE6\x97", "cut \xEF\xBF\xBD\xEF\xBF\xBD"},
      {"too big \xF4\x90\x80\x80", "too big \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"", ""},
  };
  Capture capture(Format::json, "im\"ap", spdlog::level::trace);
  for (const Case& c : cases)
    capture.logger->warn("{}", c.message);
  const auto lines = capture.lines();
  REQUIRE(lines.size() == cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("line=" << lines[i]);
    const auto object = JsonLine::parse(lines[i]);
    REQUIRE(object.has_value());
    CHECK(object->size() == 4);
    CHECK(object->at("msg") == cases[i].want);
    CHECK(object->at("level") == "warning");
    CHECK(object->at("service") == "im\"ap");
  }
}

TEST_CASE("JSON ts is RFC 3339 UTC with milliseconds") {
  const std::string line = format_at(Format::json, kLeapSecond, spdlog::level::info, "m");
  CHECK(line ==
        "{\"ts\":\"2024-02-29T23:59:59.007Z\",\"level\":\"info\",\"service\":\"imap\","
        "\"msg\":\"m\"}\n");
  const auto later = kLeapSecond + std::chrono::milliseconds(993);
  CHECK(format_at(Format::json, later, spdlog::level::err, "m")
            .starts_with("{\"ts\":\"2024-03-01T00:00:00.000Z\",\"level\":\"error\""));
}

TEST_CASE("plain lines carry time, level and service, one line per message") {
  CHECK(format_at(Format::plain, kLeapSecond, spdlog::level::info, "ready") ==
        "2024-02-29T23:59:59.007Z info imap: ready\n");
  CHECK(format_at(Format::plain, kLeapSecond, spdlog::level::warn, "a\nb\x01 \xff ü") ==
        "2024-02-29T23:59:59.007Z warning imap: a\\nb\\x01 \\xff ü\n");

  Capture capture(Format::plain, "smtp-in", spdlog::level::info);
  capture.logger->info("accepted from {}", "192.0.2.1");
  capture.logger->debug("not shown below the level");
  const auto lines = capture.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" info smtp-in: accepted from 192.0.2.1") != std::string::npos);
}

TEST_CASE("parse_level and parse_format") {
  struct Case {
    std::string word;
    spdlog::level::level_enum want;
  };
  const std::vector<Case> cases = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warning", spdlog::level::warn},
      {"warn", spdlog::level::warn},   {"error", spdlog::level::err},
      {"err", spdlog::level::err},     {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  };
  for (const Case& c : cases) {
    auto got = parse_level(c.word);
    INFO(c.word);
    REQUIRE(got.has_value());
    CHECK(*got == c.want);
  }
  for (const std::string word : {"", "INFO", "verbose", "fatal"}) {
    auto got = parse_level(word);
    INFO(word);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == "log.bad_level");
    CHECK(got.error().message.find("\"" + word + "\"") != std::string::npos);
  }
  CHECK(*parse_format("json") == Format::json);
  CHECK(*parse_format("plain") == Format::plain);
  CHECK(parse_format("xml").error().message == "log format \"xml\" is not one of plain, json");
}

TEST_CASE("init installs the default logger on stderr") {
  init(Options{Format::json, spdlog::level::warn, "log_test"});
  CHECK(spdlog::default_logger()->name() == "log_test");
  CHECK(spdlog::default_logger()->level() == spdlog::level::warn);
  CHECK_FALSE(spdlog::default_logger()->should_log(spdlog::level::info));
}

}  // namespace
}  // namespace tessera::log
