// The configuration keys every SMTP listener has (smtp-in's MX and LMTP, the relay's
// submission): host name, limits, timeouts, spool. One place, so both services document and
// read them alike.
#pragma once

#include <cstdint>
#include <memory>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "net/tls_context.hpp"
#include "smtp/server.hpp"

namespace tessera::smtp {

struct ServerKeyDefaults {
  std::int64_t max_recipients = 1000;  // an MX takes many; submission limits them (RL-03)
  std::int64_t min_recipients = 100;   // RFC 5321 §4.5.3.1.8 asks an MX for at least 100
};

// hostname, limits.max_message, limits.max_recipients, limits.max_line, limits.max_errors,
// limits.commands_without_mail, timeouts.command, timeouts.data, spool.path, spool.memory.
void add_server_keys(config::Schema& schema, const ServerKeyDefaults& defaults = {});

// The engine settings those keys give (dialect SMTP; the caller adjusts the rest).
ServerSettings server_settings(const config::Config& config, std::shared_ptr<net::TlsContext> tls);

}  // namespace tessera::smtp
