// RCPT TO through the store's Directory (IN-01, IN-02, IN-04), for every service that takes
// recipients: smtp-in (MX, LMTP, Inbound.Deliver) and the relay (submission). Who receives an
// address, or the reply that says why nobody here does. A domain that is not hosted is
// `foreign`: smtp-in refuses it (never an open relay), the relay queues it for the Internet.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/asio.hpp"
#include "smtp/command.hpp"
#include "smtp/reply.hpp"
#include "tessera/store/v1/directory.grpc.pb.h"

namespace tessera::directory {

struct Recipient {
  smtp::RcptTo rcpt;
  std::string address;  // as the store was asked: the domain in A-labels (IDNA2008)
  std::uint64_t account_id = 0;
  std::string login;    // the account's main address (Delivered-To)
  smtp::Reply outcome;  // set by the delivery; code 0 while undecided
};

struct Lookup {
  smtp::Reply reply;                   // 250 2.1.5, or why not
  std::optional<Recipient> recipient;  // set with a 2xx reply for a local recipient
  bool foreign = false;  // the domain is not hosted here (reply: 554 5.7.1 relay denied)
};

struct LookupOptions {
  std::chrono::milliseconds timeout{10000};  // per store call, waiting for the store included
  // Where <postmaster> and postmaster@<any hosted domain> without its own go (RFC 5321 §4.5.1).
  std::string postmaster;
};

// `size_hint`: the MAIL SIZE parameter (0 if none), for the quota check.
awaitable<Lookup> look_up(store::v1::Directory::Stub& directory, const LookupOptions& options,
                          const smtp::RcptTo& rcpt, std::uint64_t size_hint);

// "bücher.example" → "xn--bcher-kva.example"; ASCII domains lower-cased as they are. nullopt
// for a name IDNA2008 refuses.
std::optional<std::string> to_a_label(const std::string& domain);

}  // namespace tessera::directory
