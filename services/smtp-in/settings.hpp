// What every smtp-in session shares: the engine settings of each listener, the store, and the
// delivery rules. Built once by setup() (service.cpp) and kept for the process.
#pragma once

#include <chrono>
#include <string>

#include "directory/recipient.hpp"
#include "smtp/server.hpp"
#include "store_client/store_client.hpp"

namespace tessera::smtpin {

struct Settings {
  smtp::ServerSettings mx;    // listen.smtp (port 25)
  smtp::ServerSettings lmtp;  // listen.lmtp (RFC 2033)
  StoreClient* store = nullptr;
  std::chrono::milliseconds store_timeout{10000};
  // RCPT through the store: its deadline and the postmaster account (RFC 5321 §4.5.1).
  directory::LookupOptions lookup;
  // Received fields beyond this mean a loop (RFC 5321 §6.3: "at least 100").
  int max_hops = 100;
};

}  // namespace tessera::smtpin
