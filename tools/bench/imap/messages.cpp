#include "messages.hpp"

#include <array>
#include <cstdio>
#include <string_view>

namespace tessera::bench {
namespace {

// SplitMix64: a tiny generator whose output depends only on the seed, on every platform.
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

constexpr std::array<std::string_view, 12> kNames = {
    "Ann Archer", "Bob Baker",  "Cem Demir",  "Dana Ellis", "Eve Foster", "Femi Okoro",
    "Gus Hansen", "Hana Ikeda", "Ivo Jansen", "Jo Kim",     "Kai Lund",   "Lea Moreau"};
constexpr std::array<std::string_view, 24> kWords = {
    "quarterly", "report", "meeting", "budget",  "draft",    "review", "invoice", "travel",
    "schedule",  "update", "project", "release", "customer", "notes",  "agenda",  "contract",
    "server",    "backup", "summary", "plan",    "question", "team",   "office",  "friday"};
constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string address(std::size_t person) {
  const auto name = kNames[person % kNames.size()];
  std::string local(name.substr(0, name.find(' ')));
  for (auto& c : local)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return std::string(name) + " <" + local + "@example.test>";
}

std::string date(Random& random) {
  char text[64];
  std::snprintf(text, sizeof text, "%s, %zu %s 2024 %02zu:%02zu:%02zu +0000",
                std::string(kDays[random.below(7)]).c_str(), 1 + random.below(28),
                std::string(kMonths[random.below(12)]).c_str(), random.below(24), random.below(60),
                random.below(60));
  return text;
}

std::string headers(std::uint64_t index, Random& random) {
  const auto from = random.below(kNames.size());
  std::string subject;
  for (std::size_t i = 0, n = 2 + random.below(6); i < n; ++i)
    subject += (i ? " " : "") + std::string(kWords[random.below(kWords.size())]);
  const bool reply = index % 3 == 1;
  std::string h;
  h += "Return-Path: <" + address(from).substr(address(from).find('<') + 1);
  h += "\r\nReceived: from mx.example.test (mx.example.test [192.0.2.25])\r\n\tby mail.bench.test "
       "with ESMTPS id " +
       std::to_string(random.next() % 1000000007) + "; " + date(random) + "\r\n";
  h += "Date: " + date(random) + "\r\n";
  h += "From: " + address(from) + "\r\n";
  if (index % 5 == 0) h += "Reply-To: " + address(from + 1) + "\r\n";
  h += "To: " + address(from + 2) + ", " + address(from + 3) + "\r\n";
  if (index % 2 == 0) h += "Cc: " + address(from + 4) + "\r\n";
  h += "Subject: " + std::string(reply ? "Re: " : "") + subject + " #" + std::to_string(index) +
       "\r\n";
  h += "Message-ID: <" + std::to_string(index) + "." + std::to_string(random.next() % 100000) +
       "@bench.example.test>\r\n";
  if (reply) h += "In-Reply-To: <" + std::to_string(index - 1) + ".0@bench.example.test>\r\n";
  h += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
       "Content-Transfer-Encoding: 7bit\r\n\r\n";
  return h;
}

}  // namespace

std::string make_message(std::uint64_t index, std::size_t size) {
  Random random{index * 0x2545f4914f6cdd1dULL + 1};
  if (size == 0) {
    // 1.5 KiB + 22.5 KiB * u^2 for u uniform in [0, 1): mean 9 KiB, most messages small.
    const double u = static_cast<double>(random.next() % 1000000) / 1000000.0;
    size = 1536 + static_cast<std::size_t>(23040.0 * u * u);
  }
  std::string message = headers(index, random);
  std::string line;
  while (message.size() + 2 < size) {
    const auto word = kWords[random.below(kWords.size())];
    if (line.size() + word.size() + 1 > 72 ||
        message.size() + line.size() + word.size() + 3 > size) {
      if (line.empty()) line = std::string(size - message.size() - 2, 'x');
      message += line + "\r\n";
      line.clear();
      continue;
    }
    line += (line.empty() ? "" : " ") + std::string(word);
  }
  return message;
}

}  // namespace tessera::bench
