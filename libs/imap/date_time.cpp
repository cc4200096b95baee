#include "imap/date_time.hpp"

#include <array>
#include <cctype>
#include <string>

namespace tessera::imap {
namespace {

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int number(std::string_view s) {
  int n = 0;
  for (char c : s)
    n = n * 10 + (c - '0');
  return n;
}

std::optional<unsigned> month_of(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() != 3) return std::nullopt;
  std::string lower(name);
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (unsigned i = 0; i < kMonths.size(); ++i)
    if (kMonths[i] == lower) return i + 1;
  return std::nullopt;
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in(int year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

// "d-Mon-yyyy" → days; `day` may be one or two digits.
std::optional<std::int64_t> day_month_year(std::string_view text) {
  const auto a = text.find('-');
  const auto b = a == std::string_view::npos ? a : text.find('-', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  const auto day = text.substr(0, a), mon = text.substr(a + 1, b - a - 1),
             year = text.substr(b + 1);
  if (!digits(day) || day.size() > 2 || !digits(year) || year.size() != 4) return std::nullopt;
  const auto month = month_of(mon);
  if (!month) return std::nullopt;
  const int y = number(year);
  const auto d = static_cast<unsigned>(number(day));
  if (d < 1 || d > days_in(y, *month)) return std::nullopt;
  return days_from_civil(y, *month, d);
}

}  // namespace

// H. Hinnant's days_from_civil algorithm (public domain description of the Gregorian calendar).
std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  return day_month_year(text);
}

// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
// (the caller has removed the quotes); date-day-fixed is (SP DIGIT) / 2DIGIT.
std::optional<std::int64_t> parse_date_time(std::string_view text) {
  if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
  const auto sp1 = text.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  const auto days = day_month_year(text.substr(0, sp1));
  const auto rest = text.substr(sp1 + 1);
  // "hh:mm:ss +zzzz"
  if (!days || rest.size() != 14 || rest[2] != ':' || rest[5] != ':' || rest[8] != ' ')
    return std::nullopt;
  const auto hh = rest.substr(0, 2), mm = rest.substr(3, 2), ss = rest.substr(6, 2),
             zone = rest.substr(10, 4);
  const char sign = rest[9];
  if (!digits(hh) || !digits(mm) || !digits(ss) || !digits(zone) || (sign != '+' && sign != '-'))
    return std::nullopt;
  if (number(hh) > 23 || number(mm) > 59 || number(ss) > 60) return std::nullopt;
  const int offset = number(zone.substr(0, 2)) * 60 + number(zone.substr(2, 2));
  std::int64_t seconds = *days * 86400 + number(hh) * 3600 + number(mm) * 60 + number(ss);
  seconds -= (sign == '+' ? 1 : -1) * offset * 60;
  return seconds * 1000;
}

}  // namespace tessera::imap
