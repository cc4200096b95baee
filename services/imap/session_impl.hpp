// The IMAP session: connection state (RFC 9051 §3: not authenticated, authenticated, selected),
// command assembly with literals, and one dispatch over the command families, which live in
// their own files (session_auth.cpp, session_mailbox.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/asio.hpp"
#include "imap/fetch_items.hpp"
#include "imap/list_command.hpp"
#include "imap/literal.hpp"
#include "imap/modifiers.hpp"
#include "imap/reader.hpp"
#include "imap/search_keys.hpp"
#include "imap/sequence_set.hpp"
#include "metrics/metrics.hpp"
#include "net/line_reader.hpp"
#include "net/listener.hpp"
#include "session.hpp"
#include "tessera/store/v1/directory.pb.h"
#include "tessera/store/v1/mailboxes.pb.h"
#include "tessera/store/v1/messages.pb.h"
#include "uid_set.hpp"

namespace tessera::imap {

enum class State { not_authenticated, authenticated, selected, logout };

struct Selected {
  std::uint64_t mailbox_id = 0;
  std::string name;  // as the client named it
  bool read_only = false;
  // Message sequence numbers (RFC 9051 §2.3.1.2): uids[msn - 1]. Changed only where the
  // protocol lets the server report it (EXISTS, EXPUNGE).
  std::vector<std::uint32_t> uids;
  // The mailbox's HIGHESTMODSEQ up to which this session has told its client what changed.
  std::uint64_t modseq = 0;
  // UIDs expunged by others while EXPUNGE could not be sent (during FETCH, STORE, SEARCH): still
  // numbered until the next command that may report them (RFC 9051 §7.5.1).
  std::set<std::uint32_t> gone;
  // The UIDs of the last SEARCH ... RETURN (SAVE), ascending: "$" (RFC 5182).
  std::vector<std::uint32_t> saved;
  // Messages this session is the first to see (\Recent, RFC 3501 §2.3.2).
  std::set<std::uint32_t> recent;
  // Keywords the client was told of in the last FLAGS response (RFC 9051 §7.3.5).
  std::set<std::string> keywords;
  // Modseqs of flag changes this session made and already reported with its own FETCH replies.
  std::set<std::uint64_t> own;
};

// The NO text when the target of APPEND, COPY or MOVE cannot be found: [TRYCREATE] tells the
// client to CREATE it and retry (RFC 9051 §6.3.12).
std::string target_refusal(const Error& error);

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
  // session_dispatch.cpp
  struct Handler;
  static std::span<const Handler> commands();
  static std::span<const Handler> uid_commands();
  static const Handler* find_handler(std::span<const Handler> table, std::string_view name);
  awaitable<bool> dispatch(const Command& command);
  awaitable<bool> uid(const Command& c, Reader& args);
  // Checks state and arguments against the table entry (nullptr: unknown), then runs it.
  awaitable<bool> run_handler(const Command& c, Reader& args, const Handler* handler,
                              std::string_view name);
  awaitable<bool> capability(const Command& c);
  awaitable<bool> id(const Command& c, Reader& args);
  awaitable<bool> logout(const Command& c);
  awaitable<bool> namespace_(const Command& c);

  awaitable<bool> send(std::string_view text);
  awaitable<bool> tagged(const Command& c, std::string_view status, std::string_view text);
  awaitable<bool> handle_read_error(const Error& error);
  std::string capabilities() const;
  awaitable<bool> enable(const Command& c, Reader& args);
  bool login_allowed() const;

  // session_auth.cpp
  awaitable<bool> login(const Command& c, Reader& args);
  awaitable<bool> authenticate(const Command& c, Reader& args);
  // One decoded SASL response: `initial` (SASL-IR) or the line after "+ challenge". nullopt
  // when it was refused with BAD or the peer went away; alive_ then says whether to go on.
  awaitable<std::optional<std::string>> sasl_response(const Command& c,
                                                      std::optional<std::string> initial,
                                                      std::string_view challenge);
  awaitable<bool> check_credentials(const Command& c, const std::string& user,
                                    const std::string& password);
  awaitable<bool> starttls(const Command& c);
  awaitable<bool> compress(const Command& c, Reader& args);

  // session_fetch.cpp
  awaitable<bool> fetch(const Command& c, Reader& args, bool by_uid);
  // A body item gathered whole (HEADER.FIELDS, BINARY.SIZE): "NAME {n}\r\n...".
  awaitable<Result<std::string>> body_item(std::uint32_t uid, const FetchItem& item);
  // Sends `prefix` and one body item, streaming its literal from the store. Error: nothing was
  // sent (answer NO); false: the connection must end (peer gone or the body broke off).
  awaitable<Result<bool>> send_body_item(std::uint32_t uid, const FetchItem& item,
                                         std::string prefix);
  store::v1::GetBodyRequest body_request(std::uint32_t uid, const FetchItem& item,
                                         std::string& name) const;
  static bool filtered(const FetchItem& item);
  struct Snapshot {
    std::vector<std::uint32_t> uids;
    std::uint64_t highest_modseq = 0;
    std::set<std::string> keywords;  // every keyword a message carries
    std::uint32_t first_unseen = 0;  // UID of the first message without \\Seen (0 = none)
  };
  awaitable<Result<Snapshot>> load_uids(std::uint64_t mailbox_id);
  // Every record a List request yields, gathered from its batches.
  awaitable<Result<std::vector<store::v1::MessageRecord>>> list_records(
      const store::v1::ListMessagesRequest& request);

  // session_store.cpp
  awaitable<bool> store(const Command& c, Reader& args, bool by_uid);
  awaitable<bool> expunge(const Command& c, Reader& args, bool by_uid);
  // Expunges \Deleted messages (of `only` if given); returns the untagged EXPUNGE lines and
  // updates the sequence numbers.
  awaitable<Result<std::string>> expunge_messages(const store::v1::UidSet* only);
  // (msn, uid) of the existing messages a set names, ascending.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> targets(const SequenceSet& set,
                                                               bool by_uid) const;

  // session_search.cpp
  awaitable<bool> search(const Command& c, Reader& args, bool by_uid);
  // The messages of the selected mailbox that `program` selects, in sequence order, with the
  // optional record parts SORT and THREAD read.
  struct Found {
    std::uint32_t msn = 0, uid = 0;
    store::v1::MessageRecord record;
  };
  struct MatchFields {
    bool envelope = false, threading = false;
  };
  awaitable<Result<std::vector<Found>>> matching(const SearchProgram& program, MatchFields fields);
  // The [BADCHARSET] text when the search's charset is not one we search in.
  std::optional<std::string> unsupported_charset(const SearchProgram& program) const;
  // The raw header (or whole message) of one message of the selected mailbox.
  awaitable<Result<std::string>> read_piece(std::uint32_t uid, bool header_only);

  // session_quota.cpp
  awaitable<Result<store::v1::Quota>> account_quota();
  awaitable<bool> get_quota_root(const Command& c, Reader& args);
  awaitable<bool> get_quota(const Command& c, Reader& args);
  awaitable<bool> set_quota(const Command& c);

  // session_sort.cpp
  awaitable<bool> sort(const Command& c, Reader& args, bool by_uid);
  awaitable<bool> thread(const Command& c, Reader& args, bool by_uid);
  // After SORT's criteria or THREAD's algorithm: SP, search-criteria, and the messages they
  // choose. Errors imap.bad / imap.no carry the text of the reply.
  awaitable<Result<std::vector<Found>>> chosen_by_criteria(Reader& args, MatchFields fields);
  // The tagged BAD (imap.bad) or NO (anything else) for `error`.
  awaitable<bool> refuse(const Command& c, const Error& error);

  // session_tree.cpp
  awaitable<bool> create(const Command& c, Reader& args);
  awaitable<bool> remove(const Command& c, Reader& args);
  awaitable<bool> rename(const Command& c, Reader& args);
  awaitable<bool> subscribe(const Command& c, Reader& args, bool subscribed);
  // Creates every missing level of `path`; the last level's mailbox.
  awaitable<Result<store::v1::Mailbox>> create_path(const std::string& path);

  // session_copy.cpp
  awaitable<bool> copy(const Command& c, Reader& args, bool by_uid, bool move);
  // False when a message sequence number of `set` is past the last message (BAD).
  bool sequence_numbers_valid(const SequenceSet& set) const;
  // Removes these UIDs (ascending) from the sequence numbers; the EXPUNGE replies, highest first.
  std::string forget(const std::vector<std::uint32_t>& ascending);

  // session_append.cpp
  awaitable<bool> append(const Command& c, Reader& args);
  // One message: streams the pending literal into the store. net.* errors end the session.
  awaitable<Result<store::v1::AppendReply>> append_one(std::uint64_t mailbox_id,
                                                       const store::v1::Flags& flags,
                                                       std::int64_t internal_date_ms,
                                                       LiteralHeader literal);
  awaitable<void> undo_appends(std::uint64_t mailbox_id, const std::vector<std::uint32_t>& uids);
  awaitable<bool> skip_append_literal();

  // session_sync.cpp
  // The untagged replies telling the client what other sessions and services changed in the
  // selected mailbox since it last heard (EXPUNGE, EXISTS, FETCH FLAGS), renumbering as it goes.
  // `expunge_allowed` is false during FETCH, STORE and SEARCH (RFC 9051 §7.5.1).
  awaitable<Result<std::string>> updates(bool expunge_allowed);
  // What the store's change log says happened in a mailbox after `since` (ascending UIDs; the
  // session's own already answered flag changes left out). `lost`: the log no longer reaches
  // back that far. Error imap.mailbox_gone if the mailbox was deleted.
  struct LogChanges {
    std::vector<std::uint32_t> added, flagged, expunged;
    std::uint64_t highest_modseq = 0;
    bool lost = false;
  };
  awaitable<Result<LogChanges>> read_changes(std::uint64_t mailbox_id, std::uint64_t since);
  // "* n FETCH (UID u FLAGS (...) [MODSEQ (m)])" for these UIDs of the selected mailbox (only
  // those changed after `changed_since` if non-zero).
  awaitable<Result<std::string>> flag_fetches(const std::vector<std::uint32_t>& uids,
                                              std::uint64_t changed_since = 0);
  // The tagged OK of a command, preceded by `out` and the pending updates.
  // `highest_modseq`: with QRESYNC on, the OK carries [HIGHESTMODSEQ n] (EXPUNGE).
  awaitable<bool> complete(const Command& c, std::string out, std::string_view text,
                           bool highest_modseq = false);
  awaitable<bool> idle(const Command& c);
  // Drops the selection after the mailbox vanished under it.
  awaitable<bool> mailbox_gone();

  // session_condstore.cpp
  // Switches CONDSTORE on; the HIGHESTMODSEQ response to send if a mailbox is selected.
  std::string enable_condstore();
  // "* VANISHED (EARLIER) ..." for the UIDs of `within` expunged after `since` ("" if none).
  awaitable<Result<std::string>> vanished_earlier(std::uint64_t since, const UidRanges& within);
  // SELECT (QRESYNC ...): what changed since the client's modseq, if its UIDVALIDITY holds.
  awaitable<Result<std::string>> resync(const QresyncParam& param,
                                        const store::v1::MailboxStatus& status);

  // session_flags.cpp
  // Moves the \\Recent mark past `up_to` (EXAMINE: only reads it) and adds the UIDs from the
  // first unclaimed one up to `up_to` to the session's recent set (RFC 3501 §2.3.2).
  awaitable<Status> claim_recent(std::uint32_t up_to);
  // STATUS RECENT: the messages no session has claimed yet.
  awaitable<Result<std::uint64_t>> count_recent(const store::v1::Mailbox& mailbox);
  // "* n RECENT" for IMAP4rev1 clients; IMAP4rev2 has no RECENT response (RFC 9051 App. E).
  std::string recent_response();
  // "FLAGS (...)" of one message as this client sees it (\\Recent only for IMAP4rev1).
  std::string flags_item(std::uint32_t uid, const store::v1::Flags& flags) const;
  // The FLAGS and PERMANENTFLAGS responses, sent again before a FETCH that shows a keyword the
  // client was not told of (RFC 9051 §7.3.5); empty when all of `flags` are known.
  std::string announce_keywords(const store::v1::Flags& flags);
  std::string flags_responses() const;

  // session_mailbox.cpp
  // `xlist`: XLIST, the pre-SPECIAL-USE form older Outlook asks with (IM-03).
  awaitable<bool> list(const Command& c, Reader& args, bool lsub, bool xlist = false);
  std::string lsub_lines(const store::v1::ListMailboxesReply& tree,
                         const std::vector<std::string>& wanted) const;
  // LIST's untagged lines for the mailboxes of `tree` matching `wanted` (RFC 5258, RFC 5819).
  awaitable<Result<std::string>> list_lines(const ListCommand& command,
                                            const store::v1::ListMailboxesReply& tree,
                                            const std::vector<std::string>& wanted, bool xlist);
  // "* STATUS name (items)\r\n" for one mailbox whose status the store sent along.
  awaitable<Result<std::string>> status_line(const store::v1::Mailbox& mailbox,
                                             const std::vector<std::string>& items);
  awaitable<Result<std::uint64_t>> deleted_bytes(std::uint64_t mailbox_id);
  awaitable<bool> status(const Command& c, Reader& args);
  awaitable<bool> select(const Command& c, Reader& args, bool read_only);
  awaitable<bool> unselect(const Command& c, bool close);
  awaitable<Result<store::v1::ListMailboxesReply>> mailboxes(bool with_status);
  // The store path a client's mailbox name means: modified UTF-7 decoded unless UTF-8 was
  // enabled, "INBOX" in any case made "INBOX".
  Result<std::string> mailbox_path(const std::string& name) const;
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
  bool rev2_ = false;  // IMAP4rev2 enabled: SEARCH answers with ESEARCH (RFC 9051 §7.3.4)
  // RFC 7162: CONDSTORE on (MODSEQ in every flag FETCH) and QRESYNC on (VANISHED, not EXPUNGE).
  bool condstore_ = false;
  bool qresync_ = false;
  int failed_logins_ = 0;
  bool alive_ = true;  // set by helpers that answer for a command: may the session go on?
  AccountConnections::Slot account_slot_;  // held while logged in
  CommandPace pace_;
  // APPEND's message literal, announced but not read yet (read_command leaves it to append()).
  std::optional<LiteralHeader> append_literal_;
};

}  // namespace tessera::imap
