// One POP3 session (RFC 1939 §3): AUTHORIZATION (session_auth.cpp), TRANSACTION and UPDATE
// (session_transaction.cpp). One command at a time, answered in order, so pipelined commands
// (RFC 2449 PIPELINING) just wait in the line reader.
#pragma once

#include <optional>
#include <string>

#include "maildrop.hpp"
#include "metrics/metrics.hpp"
#include "net/line_reader.hpp"
#include "net/listener.hpp"
#include "pop3/command.hpp"
#include "prefetch.hpp"
#include "rpc/keeper.hpp"
#include "settings.hpp"

namespace tessera::pop3d {

inline constexpr const char* kBusyReply = "-ERR [SYS/TEMP] Too many connections, try later\r\n";

awaitable<metrics::ConnectionResult> run_session(net::Connection connection,
                                                 const Settings& settings);

class Session {
 public:
  Session(net::Connection connection, const Settings& settings);
  awaitable<metrics::ConnectionResult> run();
  // Gives the maildrop lock back, if one is held (after run(), whatever ended the session; and
  // when the maildrop cannot be opened after the lock was taken).
  awaitable<void> release();

 private:
  enum class State { authorization, transaction, closed };

  awaitable<bool> send(std::string_view text);
  awaitable<bool> dispatch(const pop3::Command& c);
  std::string capabilities() const;
  bool auth_allowed() const {
    return connection_.stream.is_tls() || settings_.allow_plaintext_auth;
  }

  // AUTHORIZATION (session_auth.cpp)
  awaitable<bool> stls();
  awaitable<bool> user(const pop3::Command& c);
  awaitable<bool> pass(const pop3::Command& c);
  awaitable<bool> auth(const pop3::Command& c);
  awaitable<std::optional<std::string>> sasl_response(std::optional<std::string> initial,
                                                      std::string_view challenge);
  awaitable<bool> login(const std::string& user, const std::string& password);

  // TRANSACTION and UPDATE (session_transaction.cpp)
  awaitable<bool> transaction(const pop3::Command& c);
  awaitable<bool> scan_listing(const pop3::Command& c, bool unique_ids);
  awaitable<bool> retrieve(const pop3::Command& c, std::optional<std::uint32_t> top_lines);
  awaitable<bool> quit();

  // The store's maildrop lock (RFC 1939 §8): taken at login, kept alive until release().
  awaitable<bool> lock_maildrop(std::uint64_t account_id);

  net::Connection connection_;
  const Settings& settings_;
  net::LineReader reader_;
  State state_ = State::authorization;
  std::string user_;  // from USER, for PASS
  std::optional<Maildrop> maildrop_;
  Prefetch prefetch_;  // bodies read ahead for RETR and TOP
  int failed_logins_ = 0;
  std::string lock_token_;  // empty: no maildrop lock held
  std::uint64_t locked_account_ = 0;
  std::optional<rpc::Keeper> lock_keeper_;
};

}  // namespace tessera::pop3d
