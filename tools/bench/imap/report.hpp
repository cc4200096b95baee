// What one load-generator command measured, and its one-line JSON result (the form
// tools/bench/imap/run reads): operations, their latencies, errors with the first one quoted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "imap_client.hpp"

namespace tessera::bench {

// Operations and failures of all clients of one command (they share one thread).
class Tally {
 public:
  void ok(Clock::time_point began);
  void error(const Error& error);  // the first few are also written to stderr

  long ops() const { return static_cast<long>(latencies_ms_.size()); }
  long errors() const { return errors_; }
  double percentile_ms(double p);  // over the successful operations; 0 without any
  const std::string& first_error() const { return first_error_; }

 private:
  std::vector<double> latencies_ms_;
  bool sorted_ = true;
  long errors_ = 0;
  std::string first_error_;
};

// Builds {"key": value, ...} in insertion order.
class Json {
 public:
  Json& add(std::string_view key, std::string_view text);
  Json& add(std::string_view key, const char* text) { return add(key, std::string_view(text)); }
  Json& add(std::string_view key, double number);
  Json& add(std::string_view key, long number);
  Json& add(std::string_view key, int number) { return add(key, static_cast<long>(number)); }
  // ops, per_second, p50_ms, p99_ms, errors and first_error of `tally` over `seconds`.
  Json& add(Tally& tally, double seconds);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(std::string_view name);
  std::string body_;
};

// Prints `json` as one line on stdout and flushes (the run script waits for such lines).
void emit(const Json& json);

}  // namespace tessera::bench
