// IMAP dates (RFC 9051 §9): date-time of APPEND ("17-Jul-1996 02:44:25 -0700") and date of
// SEARCH BEFORE/ON/SINCE ("1-Feb-1994"). Pure functions; months in English, any case.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::imap {

// date-time: day (1 or 2 digits, or SP-padded), month, year, time and zone; unix milliseconds.
std::optional<std::int64_t> parse_date_time(std::string_view text);
// date: day-month-year; days since 1970-01-01 of that calendar day.
std::optional<std::int64_t> parse_date(std::string_view text);
// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t days_from_civil(int year, unsigned month, unsigned day);

}  // namespace tessera::imap
