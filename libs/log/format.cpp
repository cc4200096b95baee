// The two line formats. Hand-written spdlog formatters rather than patterns: a pattern cannot
// escape the message, and JSON built from a pattern breaks on the first quote in a message.
#include <ctime>
#include <utility>

#include "log/log.hpp"

namespace tessera::log {
namespace {

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629 §4), 0 if ill-formed:
// overlong forms, surrogates and code points past U+10FFFF are ill-formed.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80;  // allowed range of the second byte
  unsigned char high = 0xBF;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  if (lead >= 0xE0 && lead <= 0xEF) length = 3;
  if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  if (lead == 0xE0) low = 0xA0;
  if (lead == 0xED) high = 0x9F;
  if (lead == 0xF0) low = 0x90;
  if (lead == 0xF4) high = 0x8F;
  if (length == 0 || i + length > text.size()) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
  }
  return length;
}

constexpr char kHex[] = "0123456789abcdef";

// \n, \r, \t by name; other bytes below 0x20 and DEL as `prefix` + two hex digits.
void append_control(unsigned char c, std::string_view prefix, std::string& out) {
  switch (c) {
    case '\n':
      out.append("\\n");
      return;
    case '\r':
      out.append("\\r");
      return;
    case '\t':
      out.append("\\t");
      return;
    default:
      out.append(prefix);
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
  }
}

// Human lines: the message as it is, except what would break the line or the terminal.
void append_plain_escaped(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = utf8_length(text, i);
    if (c < 0x20 || c == 0x7F || length == 0) {
      append_control(c, "\\x", out);
    } else {
      out.append(text.substr(i, length));
    }
    i += length == 0 ? 1 : length;
  }
}

// "2024-02-29T23:59:59.007Z" (RFC 3339, UTC, milliseconds). The seconds part is cached: a
// formatter belongs to one sink and is called under the sink's lock.
class Timestamp {
 public:
  void append(spdlog::log_clock::time_point time, std::string& out) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
    if (seconds.count() != cached_seconds_ || cached_.empty()) {
      const std::time_t t = seconds.count();
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buffer[32];
      cached_.assign(buffer, std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm));
      cached_seconds_ = seconds.count();
    }
    const auto ms = static_cast<int>(millis.count());
    out.append(cached_).append(
        {'.', char('0' + ms / 100), char('0' + ms / 10 % 10), char('0' + ms % 10), 'Z'});
  }

 private:
  std::int64_t cached_seconds_ = 0;
  std::string cached_;
};

std::string_view level_name(spdlog::level::level_enum level) {
  const auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

class LineFormatter : public spdlog::formatter {
 public:
  LineFormatter(Format format, std::string service)
      : format_(format), service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    line_.clear();
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (format_ == Format::json) {
      line_.append("{\"ts\":\"");
      time_.append(msg.time, line_);
      line_.append("\",\"level\":\"").append(level_name(msg.level));
      line_.append("\",\"service\":\"");
      append_json_escaped(service_, line_);
      line_.append("\",\"msg\":\"");
      append_json_escaped(text, line_);
      line_.append("\"}\n");
    } else {
      time_.append(msg.time, line_);
      line_.append(" ").append(level_name(msg.level)).append(" ");
      append_plain_escaped(service_, line_);
      line_.append(": ");
      append_plain_escaped(text, line_);
      line_.append("\n");
    }
    dest.append(line_.data(), line_.data() + line_.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_, service_);
  }

 private:
  Format format_;
  std::string service_;
  Timestamp time_;
  std::string line_;  // reused: no allocation per message once warm
};

}  // namespace

void append_json_escaped(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = utf8_length(text, i);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F) {
      append_control(c, "\\u00", out);
    } else if (length == 0) {
      out.append("\\ufffd");  // RFC 8259 §8.1: JSON text is UTF-8; keep the line parseable
    } else {
      out.append(text.substr(i, length));
    }
    i += length == 0 ? 1 : length;
  }
}

std::unique_ptr<spdlog::formatter> make_formatter(Format format, std::string service) {
  return std::make_unique<LineFormatter>(format, std::move(service));
}

}  // namespace tessera::log
