// RFC 5322 §3.3 date-time, with the obsolete forms of §4.3 (two-digit years, zone names,
// missing seconds or weekday) that real mail still carries.
#include "mime/date.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>

#include "mime/header.hpp"

namespace tessera::mime::detail {
namespace {

struct Zone {
  const char* name;
  int minutes;
};
constexpr std::array<Zone, 11> kZones = {{{"UT", 0},
                                          {"GMT", 0},
                                          {"Z", 0},
                                          {"EST", -300},
                                          {"EDT", -240},
                                          {"CST", -360},
                                          {"CDT", -300},
                                          {"MST", -420},
                                          {"MDT", -360},
                                          {"PST", -480},
                                          {"PDT", -420}}};
constexpr std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};

std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
      continue;
    }
    current.push_back(c);
    if (out.size() > 16) break;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

}  // namespace

std::int64_t parse_date(std::string_view value) {
  auto parts = tokens(strip_comments(value));
  std::size_t i = 0;
  if (i < parts.size() && !all_digits(parts[i])) ++i;  // day-of-week
  if (parts.size() < i + 4) return 0;
  if (!all_digits(parts[i])) return 0;
  const int day = std::stoi(parts[i]);
  int month = -1;
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (iequals(parts[i + 1].substr(0, 3), kMonths[m])) month = static_cast<int>(m);
  }
  if (month < 0 || !all_digits(parts[i + 2])) return 0;
  int year = std::stoi(parts[i + 2]);
  if (parts[i + 2].size() <= 2)
    year += year < 50 ? 2000 : 1900;  // RFC 5322 §4.3
  else if (parts[i + 2].size() == 3)
    year += 1900;
  int hour = 0, minute = 0, second = 0;
  if (std::sscanf(parts[i + 3].c_str(), "%d:%d:%d", &hour, &minute, &second) < 2) return 0;
  int offset = 0;
  if (parts.size() > i + 4) {
    const auto& zone = parts[i + 4];
    if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 5 && all_digits(zone.substr(1))) {
      const int hhmm = std::stoi(zone.substr(1));
      offset = (hhmm / 100) * 60 + hhmm % 100;
      if (zone[0] == '-') offset = -offset;
    } else {
      for (const auto& known : kZones) {
        if (iequals(zone, known.name)) offset = known.minutes;
      }
    }
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1900 || year > 9999)
    return 0;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second == 60 ? 59 : second;
  const auto seconds = static_cast<std::int64_t>(timegm(&tm)) - offset * 60LL;
  return seconds * 1000;
}

}  // namespace tessera::mime::detail
