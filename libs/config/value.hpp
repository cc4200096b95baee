// Parsers for the typed values a config key can hold: sizes, durations, endpoints, booleans,
// integers. Pure functions over text, shared by the file and the environment so that
// `limits.max_line: 64KiB` and `TESSERA_IMAP_LIMITS_MAX_LINE=64KiB` mean the same thing.
// On failure they return an Error whose message is only the "expected ..., got ..." part; the
// caller (config.cpp) prefixes the key and where the value came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tessera::config {

// A listening or connecting address. `host` is the name or address without brackets
// ("::1", "127.0.0.1", "mail.example"); an empty host means "not set" (the key is off).
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  bool is_set() const { return !host.empty(); }
  // "127.0.0.1:143", "[::1]:143"; empty when not set.
  std::string to_string() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// "64KiB", "50MB", "1 GiB", "512" (bytes). KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB
// powers of 1024, so "50MB" is exactly what a mail client's size limit means.
Result<std::uint64_t> parse_size(std::string_view text);

// "30s", "5m", "250ms", "1h30m", "2d", "0". A bare number other than 0 is refused: it is the
// classic way to get seconds where milliseconds were meant.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// "host:port", "[v6-address]:port". Port 0..65535 (0 asks the kernel for a free port).
// An empty text is an unset endpoint only when `allow_empty`.
Result<Endpoint> parse_endpoint(std::string_view text, bool allow_empty);

// true/false, yes/no, on/off, 1/0, any case.
Result<bool> parse_bool(std::string_view text);

// Decimal integer within [min, max].
Result<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max);

// "a, b,c" → {"a", "b", "c"}; blanks around items and empty items are dropped; "" → {}.
std::vector<std::string> split_list(std::string_view text);

}  // namespace tessera::config
