// tessera-imap-load: one IMAP load generator for Tessera and for a reference server (Dovecot),
// used by tools/bench/imap/run. Only loopback addresses are accepted.
//
//   login  --port P --user PATTERN --users U --password W --clients N --seconds S
//          connect, LOGIN, LOGOUT in a loop on fresh connections
//   fetch  ... --window 100 [--items "(ENVELOPE)"]    FETCH of `window` messages in a loop
//   append ... [--size B] [--mailbox INBOX]            APPEND (synchronising literal) in a loop,
//          into --mailbox (created first unless it is INBOX)
//   seed   ... --messages M [--size B]                 messages 0..M-1 into every user's mailbox
//   idle   ... --connections C [--concurrency K] [--hold S] [--reidle S] [--sources N]
//          C sessions in IDLE (re-issued every --reidle s, 1500); prints {"ready": 1, ...},
//          holds until SIGUSR1 or --hold
//   hash   --password W                                Tessera's Argon2id hash of W
//
// Common: --host 127.0.0.1, --first-user 1, --count (most operations per client), --timeout
// (seconds per command, 30), --sources N (connect from 127.0.0.1 .. 127.0.0.N). "{}" in --user
// becomes the user's number. Each command prints one JSON line on stdout (ops, per_second,
// p50_ms, p99_ms, errors, first_error); errors go to stderr too. All clients of a command are
// coroutines on one thread.
#include <iostream>

#include <sys/resource.h>

#include "commands.hpp"
#include "crypto/password.hpp"

namespace {

// 10,000 connections need more descriptors than the usual soft limit of 1024.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int usage() {
  std::cerr << "usage: tessera-imap-load login|fetch|append|seed|idle|hash --key value ...\n"
               "(see the comment at the top of tools/bench/imap/imap_load.cpp)\n";
  return 2;
}

int hash(int argc, char** argv) {
  if (argc != 4 || std::string(argv[2]) != "--password") return usage();
  auto hashed = tessera::crypto::hash_password(argv[3]);
  if (!hashed) {
    std::cerr << "tessera-imap-load: " << hashed.error().message << "\n";
    return 1;
  }
  std::cout << *hashed << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  if (command == "hash") return hash(argc, argv);
  auto options = tessera::bench::parse_options(argc, argv);
  if (!options) {
    std::cerr << "tessera-imap-load: " << options.error().message << "\n";
    return usage();
  }
  raise_descriptor_limit();
  namespace bench = tessera::bench;
  if (command == "login") return bench::run_login(*options);
  if (command == "fetch") return bench::run_fetch(*options);
  if (command == "append") return bench::run_append(*options);
  if (command == "seed") return bench::run_seed(*options);
  if (command == "idle") return bench::run_idle(*options);
  return usage();
}
