// A parsed mailctl command line and what every command family reads it with. Families in their
// own files (dkim.cpp) are declared here; main.cpp dispatches to them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client.hpp"

namespace tessera::mailctl {

struct Command {
  std::vector<std::string> words;  // positional
  std::string name;                // --name
  std::string quota;               // --quota
  std::string selector;            // --selector
  std::string algorithm;           // --algorithm
  // --messages-per-hour, --max-recipients (RL-03; 0 = the relay's default)
  std::optional<std::uint32_t> messages_per_hour;
  std::optional<std::uint32_t> max_recipients;
  // --imap on|off, --pop3 on|off (API-10: the subscription's protocols)
  std::optional<bool> imap;
  std::optional<bool> pop3;
  std::string text_file;  // --text-file
  std::string html_file;  // --html-file
  bool clear = false;     // --clear
  bool password_stdin = false;
  bool replace = false;  // --replace
  bool json = false;
};

[[noreturn]] inline void usage(const std::string& why) {
  throw Failure{kUsage, why + " (see mailctl --help)"};
}

inline const std::string& word(const Command& c, std::size_t i, const char* what) {
  if (c.words.size() <= i) usage(std::string("missing ") + what);
  return c.words[i];
}

inline void expect_words(const Command& c, std::size_t n) {
  if (c.words.size() > n) usage("unexpected argument \"" + c.words[n] + "\"");
}

// mailctl domain show|signature DOMAIN (signature.cpp).
int domain_show(Client& client, const Command& c, const std::string& name);
int domain_signature(Client& client, const Command& c, const std::string& name);

// mailctl dkim generate|show DOMAIN (dkim.cpp).
int dkim(Client& client, const Command& c);

}  // namespace tessera::mailctl
