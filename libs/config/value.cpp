#include "config/value.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace tessera::config {
namespace {

constexpr std::string_view kBadValue = "config.bad_value";

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error expected(std::string_view what, std::string_view got) {
  std::string message = "expected ";
  message.append(what).append(", got \"").append(got).append("\"");
  return make_error(std::string(kBadValue), std::move(message));
}

// Reads the leading decimal digits of `text` into `value`; false if none or on overflow.
bool take_number(std::string_view& text, std::uint64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

std::string_view take_letters(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && std::isalpha(static_cast<unsigned char>(text[n])))
    ++n;
  const std::string_view letters = text.substr(0, n);
  text.remove_prefix(n);
  return letters;
}

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr std::uint64_t kKi = 1024;
constexpr std::array<Unit, 11> kSizeUnits = {{{"", 1},
                                              {"B", 1},
                                              {"KB", 1000},
                                              {"MB", 1000 * 1000},
                                              {"GB", 1000ULL * 1000 * 1000},
                                              {"TB", 1000ULL * 1000 * 1000 * 1000},
                                              {"KiB", kKi},
                                              {"MiB", kKi* kKi},
                                              {"GiB", kKi* kKi* kKi},
                                              {"TiB", kKi* kKi* kKi* kKi},
                                              {"kB", 1000}}};

constexpr std::array<Unit, 5> kDurationUnits = {
    {{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 24 * 3600 * 1000}}};

template <std::size_t N>
const Unit* find_unit(const std::array<Unit, N>& units, std::string_view name) {
  for (const Unit& unit : units) {
    if (unit.name == name) return &unit;
  }
  return nullptr;
}

}  // namespace

std::string Endpoint::to_string() const {
  if (!is_set()) return {};
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<std::uint64_t> parse_size(std::string_view text) {
  constexpr std::string_view what = "a size like 64KiB or 50MB";
  std::string_view rest = trim(text);
  std::uint64_t number = 0;
  if (!take_number(rest, number)) return expected(what, text);
  const Unit* unit = find_unit(kSizeUnits, trim(rest));
  std::uint64_t bytes = 0;
  if (unit == nullptr || __builtin_mul_overflow(number, unit->factor, &bytes)) {
    return expected(what, text);
  }
  return bytes;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  constexpr std::string_view what = "a duration like 30s, 5m or 250ms";
  std::string_view rest = trim(text);
  if (rest == "0") return std::chrono::milliseconds(0);
  if (rest.empty()) return expected(what, text);
  std::int64_t total = 0;
  while (!rest.empty()) {
    std::uint64_t number = 0;
    if (!take_number(rest, number)) return expected(what, text);
    const Unit* unit = find_unit(kDurationUnits, take_letters(rest));
    std::int64_t part = 0;
    if (unit == nullptr || number > static_cast<std::uint64_t>(INT64_MAX) ||
        __builtin_mul_overflow(static_cast<std::int64_t>(number),
                               static_cast<std::int64_t>(unit->factor), &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return expected(what, text);
    }
  }
  return std::chrono::milliseconds(total);
}

Result<Endpoint> parse_endpoint(std::string_view text, bool allow_empty) {
  constexpr std::string_view what = "an endpoint like 127.0.0.1:143 or [::1]:143";
  const std::string_view value = trim(text);
  if (value.empty() && allow_empty) return Endpoint{};
  const std::size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) return expected(what, text);
  std::string_view host = value.substr(0, colon);
  const std::string_view port_text = value.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.find(':') == std::string_view::npos) return expected(what, text);
  } else if (host.find_first_of(":[]") != std::string_view::npos) {
    return expected(std::string(what) + " (IPv6 addresses go in brackets)", text);
  }
  const bool host_ok = !host.empty() && host.find_first_of(" \t/") == std::string_view::npos;
  auto port = parse_integer(port_text, 0, 65535);
  if (!host_ok || !port || port_text.empty() || !is_digit(port_text.front())) {
    return expected(what, text);
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(*port)};
}

Result<bool> parse_bool(std::string_view text) {
  const std::string word = lower(trim(text));
  if (word == "true" || word == "yes" || word == "on" || word == "1") return true;
  if (word == "false" || word == "no" || word == "off" || word == "0") return false;
  return expected("true or false", text);
}

Result<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max) {
  const std::string_view value = trim(text);
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  const bool whole = ec == std::errc() && end == value.data() + value.size() && !value.empty();
  if (!whole || number < min || number > max) {
    return expected("an integer from " + std::to_string(min) + " to " + std::to_string(max), text);
  }
  return number;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace tessera::config
