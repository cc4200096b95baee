#include "smtp/server_config.hpp"

#include <unistd.h>

namespace tessera::smtp {
namespace {

std::string system_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

void add_server_keys(config::Schema& s, const ServerKeyDefaults& defaults) {
  s.add_string("hostname", "",
               "name in the greeting and in Received fields; empty = the system host name")
      .add_size("limits.max_message", "50MiB",
                "largest message accepted (IN-03; SIZE, 552 5.3.4 beyond)")
      .add_integer("limits.max_recipients", defaults.max_recipients, defaults.min_recipients,
                   100000, "recipients of one message (452 4.5.3 beyond)")
      .add_size("limits.max_line", "4KiB", "longest command line (500 5.5.2 beyond)")
      .add_integer("limits.max_errors", 20, 1, 10000,
                   "error replies (failed AUTH included) before the session ends with 421; from "
                   "half of it on each error reply waits a second")
      .add_integer("limits.commands_without_mail", 50, 1, 100000,
                   "commands other than MAIL, RCPT, DATA and BDAT before a MAIL (421 beyond)")
      .add_duration("timeouts.command", "5m",
                    "wait for the next command (RFC 5321 §4.5.3.2.7), then 421")
      .add_duration("timeouts.data", "5m", "wait for the next bytes of DATA or BDAT")
      .add_string("spool.path", "/tmp",
                  "directory for messages being received beyond spool.memory (unnamed files, "
                  "gone when the transaction ends)")
      .add_size("spool.memory", "1MiB",
                "bytes of a message being received kept in memory before the rest goes to "
                "spool.path");
}

ServerSettings server_settings(const config::Config& config, std::shared_ptr<net::TlsContext> tls) {
  ServerSettings engine;
  const auto& hostname = config.get_string("hostname");
  engine.hostname = hostname.empty() ? system_hostname() : hostname;
  engine.max_message = config.get_size("limits.max_message");
  engine.max_recipients = static_cast<std::size_t>(config.get_int("limits.max_recipients"));
  engine.max_line = config.get_size("limits.max_line");
  engine.max_errors = static_cast<int>(config.get_int("limits.max_errors"));
  engine.errors_before_delay = engine.max_errors / 2;
  engine.max_commands_without_mail =
      static_cast<int>(config.get_int("limits.commands_without_mail"));
  engine.command_timeout = config.get_duration("timeouts.command");
  engine.data_timeout = config.get_duration("timeouts.data");
  engine.tls = std::move(tls);
  engine.spool_directory = config.get_string("spool.path");
  engine.spool_memory = config.get_size("spool.memory");
  return engine;
}

}  // namespace tessera::smtp
