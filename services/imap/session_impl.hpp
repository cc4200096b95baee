// The IMAP session: connection state (RFC 9051 §3: not authenticated, authenticated, selected),
// command assembly with literals, and one dispatch over the command families, which live in
// their own files (session_auth.cpp, session_mailbox.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "imap/fetch_items.hpp"
#include "imap/reader.hpp"
#include "imap/sequence_set.hpp"
#include "metrics/metrics.hpp"
#include "net/line_reader.hpp"
#include "net/listener.hpp"
#include "session.hpp"
#include "tessera/store/v1/mailboxes.pb.h"
#include "tessera/store/v1/messages.pb.h"

namespace tessera::imap {

enum class State { not_authenticated, authenticated, selected, logout };

struct Selected {
  std::uint64_t mailbox_id = 0;
  std::string name;  // as the client named it
  bool read_only = false;
  // Message sequence numbers (RFC 9051 §2.3.1.2): uids[msn - 1]. Changed only where the
  // protocol lets the server report it (EXISTS, EXPUNGE).
  std::vector<std::uint32_t> uids;
};

class Session {
 public:
  Session(net::Connection connection, const SessionSettings& settings);
  awaitable<metrics::ConnectionResult> run();

 private:
  struct Command {
    std::string tag;
    std::string name;      // upper case
    std::string wire;      // the whole command, literals included
    std::size_t args = 0;  // where the arguments start in `wire`
  };

  // One whole command (line, literals, more line); nullopt after a read error was handled.
  awaitable<std::optional<Result<std::string>>> read_command();
  awaitable<bool> dispatch(const Command& command);
  awaitable<bool> send(std::string_view text);
  awaitable<bool> tagged(const Command& c, std::string_view status, std::string_view text);
  awaitable<bool> handle_read_error(const Error& error);
  std::string capabilities() const;
  bool login_allowed() const;

  // session_auth.cpp
  awaitable<bool> login(const Command& c, Reader& args);
  awaitable<bool> authenticate(const Command& c, Reader& args);
  awaitable<bool> check_credentials(const Command& c, const std::string& user,
                                    const std::string& password);
  awaitable<bool> starttls(const Command& c);

  // session_fetch.cpp
  awaitable<bool> fetch(const Command& c, Reader& args, bool by_uid);
  awaitable<Result<std::string>> body_item(std::uint32_t uid, const FetchItem& item);
  awaitable<Result<std::vector<std::uint32_t>>> load_uids(std::uint64_t mailbox_id);

  // session_store.cpp
  awaitable<bool> store(const Command& c, Reader& args, bool by_uid);
  awaitable<bool> expunge(const Command& c, Reader& args, bool by_uid);
  // Expunges \Deleted messages (of `only` if given); returns the untagged EXPUNGE lines and
  // updates the sequence numbers.
  awaitable<Result<std::string>> expunge_messages(const store::v1::UidSet* only);
  // (msn, uid) of the existing messages a set names, ascending.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> targets(const SequenceSet& set,
                                                               bool by_uid) const;

  // session_mailbox.cpp
  awaitable<bool> list(const Command& c, Reader& args, bool lsub);
  awaitable<bool> status(const Command& c, Reader& args);
  awaitable<bool> select(const Command& c, Reader& args, bool read_only);
  awaitable<bool> unselect(const Command& c, bool close);
  awaitable<Result<store::v1::ListMailboxesReply>> mailboxes(bool with_status);
  // The mailbox a client name means (INBOX in any case; modified UTF-7 decoded).
  awaitable<Result<store::v1::Mailbox>> find_mailbox(const std::string& name);
  std::string wire_name(const std::string& path) const;

  net::Connection connection_;
  const SessionSettings& settings_;
  net::LineReader reader_;
  State state_ = State::not_authenticated;
  std::uint64_t account_id_ = 0;
  std::optional<Selected> selected_;
  bool utf8_ = false;  // UTF8=ACCEPT or IMAP4rev2 enabled: names in UTF-8
  int failed_logins_ = 0;
};

}  // namespace tessera::imap
