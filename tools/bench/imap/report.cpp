#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace tessera::bench {
namespace {

constexpr long kErrorsShown = 5;

std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char code[8];
      std::snprintf(code, sizeof code, "\\u%04x", static_cast<unsigned char>(c));
      out += code;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Tally::ok(Clock::time_point began) {
  latencies_ms_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - began).count());
  sorted_ = false;
}

void Tally::error(const Error& error) {
  if (errors_ == 0) first_error_ = error.message;
  if (errors_ < kErrorsShown) std::cerr << "tessera-imap-load: " << error.message << "\n";
  ++errors_;
}

double Tally::percentile_ms(double p) {
  if (latencies_ms_.empty()) return 0.0;
  if (!sorted_) std::sort(latencies_ms_.begin(), latencies_ms_.end());
  sorted_ = true;
  const auto at = static_cast<std::size_t>(p * static_cast<double>(latencies_ms_.size()));
  return latencies_ms_[std::min(latencies_ms_.size() - 1, at)];
}

void Json::key(std::string_view name) {
  if (!body_.empty()) body_ += ", ";
  body_ += "\"" + escaped(name) + "\": ";
}

Json& Json::add(std::string_view name, std::string_view text) {
  key(name);
  body_ += "\"" + escaped(text) + "\"";
  return *this;
}

Json& Json::add(std::string_view name, double number) {
  key(name);
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", number);
  body_ += text;
  return *this;
}

Json& Json::add(std::string_view name, long number) {
  key(name);
  body_ += std::to_string(number);
  return *this;
}

Json& Json::add(Tally& tally, double seconds) {
  add("ops", tally.ops());
  add("seconds", seconds);
  add("per_second", seconds > 0 ? static_cast<double>(tally.ops()) / seconds : 0.0);
  add("p50_ms", tally.percentile_ms(0.50));
  add("p99_ms", tally.percentile_ms(0.99));
  add("errors", tally.errors());
  return add("first_error", tally.first_error());
}

void emit(const Json& json) {
  std::cout << json.str() << std::endl;  // endl: flushed, the run script is waiting for it
}

}  // namespace tessera::bench
