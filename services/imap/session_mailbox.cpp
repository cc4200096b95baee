// Authenticated state, mailbox commands: LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.9,
// SPECIAL-USE attributes RFC 6154), STATUS (§6.3.11, STATUS=SIZE RFC 8438), SELECT and EXAMINE
// (§6.3.2-3, HIGHESTMODSEQ RFC 7162), UNSELECT (RFC 3691) and CLOSE (§6.4.1).
#include <algorithm>
#include <cctype>
#include <set>

#include "base/ascii.hpp"
#include "imap/list_command.hpp"
#include "imap/mutf7.hpp"
#include "response.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

// RFC 9051 §6.3.9: "*" matches anything, "%" anything but the hierarchy delimiter.
bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern[0] == '*' || pattern[0] == '%') {
    for (std::size_t i = 0; i <= name.size(); ++i) {
      if (matches(pattern.substr(1), name.substr(i))) return true;
      if (i < name.size() && pattern[0] == '%' && name[i] == '/') return false;
    }
    return false;
  }
  return !name.empty() && pattern[0] == name[0] && matches(pattern.substr(1), name.substr(1));
}

bool matches_any(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return matches(p, name); });
}

// RFC 6154 §2: the folders that carry a special-use attribute.
bool has_special_use(const v1::Mailbox& m) {
  return m.role() == v1::MAILBOX_ROLE_SENT || m.role() == v1::MAILBOX_ROLE_DRAFTS ||
         m.role() == v1::MAILBOX_ROLE_TRASH || m.role() == v1::MAILBOX_ROLE_JUNK;
}

// "INBOX" is case-insensitive (RFC 9051 §5.1); other names are compared exactly.
std::string canonical_inbox(std::string name) {
  if (name.size() >= 5) {
    const auto head = ascii_upper(name.substr(0, 5));
    if (head == "INBOX" && (name.size() == 5 || name[5] == '/')) name.replace(0, 5, "INBOX");
  }
  return name;
}

// `xlist`: the names of Gmail's XLIST, which older Outlook and Apple Mail read instead of
// SPECIAL-USE (\Inbox, and \Spam for Junk).
std::string attributes(const v1::Mailbox& m, bool lsub, bool xlist = false) {
  std::vector<std::string> out;
  if (!lsub) out.emplace_back(m.has_children() ? "\\HasChildren" : "\\HasNoChildren");
  switch (m.role()) {
    case v1::MAILBOX_ROLE_INBOX:
      if (xlist) out.emplace_back("\\Inbox");
      break;
    case v1::MAILBOX_ROLE_SENT:
      out.emplace_back("\\Sent");
      break;
    case v1::MAILBOX_ROLE_DRAFTS:
      out.emplace_back("\\Drafts");
      break;
    case v1::MAILBOX_ROLE_TRASH:
      out.emplace_back("\\Trash");
      break;
    case v1::MAILBOX_ROLE_JUNK:
      out.emplace_back(xlist ? "\\Spam" : "\\Junk");
      break;
    default:
      break;
  }
  std::string joined;
  for (const auto& a : out)
    joined += (joined.empty() ? "" : " ") + a;
  return "(" + joined + ")";
}

bool subscribed(const v1::ListMailboxesReply& tree, const std::string& path) {
  return std::any_of(tree.mailboxes().begin(), tree.mailboxes().end(),
                     [&](const auto& m) { return m.path() == path && m.subscribed(); });
}

// The NO text for a mailbox that could not be found: missing (RFC 5530 NONEXISTENT) or the
// store unreachable (UNAVAILABLE).
std::string no_mailbox_text(const Error& error) {
  return error.code == "imap.no_such_mailbox" ? "[NONEXISTENT] No such mailbox"
                                              : "[UNAVAILABLE] Try again later";
}

}  // namespace

std::string target_refusal(const Error& error) {
  return error.code == "imap.no_such_mailbox" ? "[TRYCREATE] No such mailbox"
                                              : "[UNAVAILABLE] Try again later";
}

std::string Session::wire_name(const std::string& path) const {
  return imap_astring(utf8_ ? path : utf8_to_mutf7(path));
}

awaitable<Result<v1::ListMailboxesReply>> Session::mailboxes(bool with_status) {
  v1::ListMailboxesRequest request;
  request.set_account_id(account_id_);
  request.set_include_status(with_status);
  co_return co_await rpc::unary(settings_.store->mailboxes->async(),
                                &v1::Mailboxes::Stub::async::ListMailboxes, request,
                                {.timeout = settings_.store_timeout});
}

Result<std::string> Session::mailbox_path(const std::string& name) const {
  auto utf8 = utf8_ ? Result<std::string>(name) : mutf7_to_utf8(name);
  if (!utf8) return make_error("imap.no_such_mailbox", "Mailbox name is not valid modified UTF-7");
  return canonical_inbox(*utf8);
}

awaitable<Result<v1::Mailbox>> Session::find_mailbox(const std::string& name) {
  auto path = mailbox_path(name);
  if (!path) co_return path.error();
  const auto wanted = *path;
  auto tree = co_await mailboxes(true);
  if (!tree) co_return tree.error();
  for (const auto& m : tree->mailboxes()) {
    if (m.path() == wanted) co_return m;
  }
  co_return make_error("imap.no_such_mailbox", "No such mailbox");
}

awaitable<bool> Session::list(const Command& c, Reader& args, bool lsub, bool xlist) {
  const std::string kind = lsub ? "LSUB" : (xlist ? "XLIST" : "LIST");
  auto command = parse_list(args);
  if (!command) co_return co_await tagged(c, "BAD", command.error().message);
  // LSUB (RFC 3501 §6.3.9) has none of LIST-EXTENDED's syntax.
  if ((lsub || xlist) && command->extended)
    co_return co_await tagged(c, "BAD", kind + " takes no options");
  const bool selects = command->select_subscribed || command->select_special_use;
  if (command->patterns.size() == 1 && command->patterns[0].empty() && !selects) {
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root.
    co_return co_await send("* " + kind + " (\\Noselect) \"/\" \"\"\r\n" + c.tag + " OK " + kind +
                            " completed\r\n");
  }
  std::vector<std::string> wanted;
  for (const auto& pattern : command->patterns) {
    std::string full = command->reference;
    if (!full.empty() && full.back() != '/' && !pattern.empty()) full += '/';
    full += pattern;
    // A pattern that is not valid modified UTF-7 matches no mailbox name.
    auto decoded = utf8_ ? Result<std::string>(full) : mutf7_to_utf8(full);
    if (decoded) wanted.push_back(canonical_inbox(*decoded));
  }
  auto tree = co_await mailboxes(!command->return_status.empty());
  if (!tree) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  // No co_await inside ?: here: GCC 12 destroys such a temporary twice.
  std::string out;
  if (lsub) {
    out = lsub_lines(*tree, wanted);
  } else {
    auto lines = co_await list_lines(*command, *tree, wanted, xlist);
    if (!lines) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
    out = std::move(*lines);
  }
  co_return co_await send(out + c.tag + " OK " + kind + " completed\r\n");
}

std::string Session::lsub_lines(const v1::ListMailboxesReply& tree,
                                const std::vector<std::string>& wanted) const {
  std::string out;
  std::set<std::string> parents;  // unsubscribed parents already answered
  for (const auto& m : tree.mailboxes()) {
    if (!m.subscribed()) continue;
    if (matches_any(wanted, m.path())) {
      out += "* LSUB " + attributes(m, true) + " \"/\" " + wire_name(m.path()) + "\r\n";
      continue;
    }
    // RFC 3501 §6.3.9: "foo/bar" subscribed, "foo" not, LSUB "%" answers foo with \Noselect.
    for (auto cut = m.path().find('/'); cut != std::string::npos;
         cut = m.path().find('/', cut + 1)) {
      const auto parent = m.path().substr(0, cut);
      if (!matches_any(wanted, parent) || subscribed(tree, parent) ||
          !parents.insert(parent).second)
        continue;
      out += "* LSUB (\\Noselect) \"/\" " + wire_name(parent) + "\r\n";
    }
  }
  // A subscription whose mailbox was deleted is still listed (RFC 9051 §6.3.7).
  for (const auto& path : tree.lost_subscriptions())
    if (matches_any(wanted, path)) out += "* LSUB (\\Noselect) \"/\" " + wire_name(path) + "\r\n";
  return out;
}

awaitable<Result<std::string>> Session::list_lines(const ListCommand& command,
                                                   const v1::ListMailboxesReply& tree,
                                                   const std::vector<std::string>& wanted,
                                                   bool xlist) {
  // RFC 5258 §3.1 and RFC 6154 §3: the selection options narrow the mailboxes; RECURSIVEMATCH
  // also names a matching mailbox one of whose descendants is selected but not itself matched.
  auto selected = [&](const v1::Mailbox& m) {
    return (!command.select_subscribed || m.subscribed()) &&
           (!command.select_special_use || has_special_use(m));
  };
  std::string out;
  for (const auto& m : tree.mailboxes()) {
    if (!matches_any(wanted, m.path())) continue;
    std::string extended;
    if (command.recursive_match) {
      const auto prefix = m.path() + "/";
      const bool child_selected =
          std::any_of(tree.mailboxes().begin(), tree.mailboxes().end(), [&](const auto& d) {
            return d.path().starts_with(prefix) && selected(d) && !matches_any(wanted, d.path());
          });
      if (child_selected)
        extended = command.select_subscribed ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))"
                                             : " (\"CHILDINFO\" (\"SPECIAL-USE\"))";
    }
    if (!selected(m) && extended.empty()) continue;
    auto flags = attributes(m, false, xlist);
    if (command.return_subscribed && m.subscribed())
      flags.insert(flags.size() - 1, " \\Subscribed");
    out += std::string(xlist ? "* XLIST " : "* LIST ") + flags + " \"/\" " + wire_name(m.path()) +
           extended + "\r\n";
    // RFC 5819 §2: the STATUS of each listed mailbox that can be selected, right after it.
    if (!command.return_status.empty() && selected(m)) {
      auto status = co_await status_line(m, command.return_status);
      if (!status) co_return status.error();
      out += *status;
    }
  }
  // RFC 5258 §3.1: a subscription without its mailbox is \NonExistent (and \Subscribed).
  if (command.select_subscribed)
    for (const auto& path : tree.lost_subscriptions())
      if (matches_any(wanted, path))
        out += "* LIST (\\Subscribed \\NonExistent) \"/\" " + wire_name(path) + "\r\n";
  co_return out;
}

awaitable<bool> Session::status(const Command& c, Reader& args) {
  auto name = args.astring();
  if (!name || !args.sp()) co_return co_await tagged(c, "BAD", "STATUS needs a mailbox and items");
  auto items = parse_status_items(args);
  if (!items || !args.at_end())
    co_return co_await tagged(c, "BAD", "STATUS needs a mailbox and items");
  auto mailbox = co_await find_mailbox(*name);
  if (!mailbox) {
    const auto why = no_mailbox_text(mailbox.error());
    co_return co_await tagged(c, "NO", why);
  }
  // RFC 7162 §3.1: STATUS HIGHESTMODSEQ is a CONDSTORE-enabling command.
  std::string out;
  if (std::find(items->begin(), items->end(), "HIGHESTMODSEQ") != items->end())
    out = enable_condstore();
  auto line = co_await status_line(*mailbox, *items);
  if (!line) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  co_return co_await send(out + *line + c.tag + " OK STATUS completed\r\n");
}

awaitable<Result<std::string>> Session::status_line(const v1::Mailbox& mailbox,
                                                    const std::vector<std::string>& items) {
  const auto& s = mailbox.status();
  std::uint64_t recent = 0;
  if (std::find(items.begin(), items.end(), "RECENT") != items.end()) {
    auto counted = co_await count_recent(mailbox);
    if (!counted) co_return counted.error();
    recent = *counted;
  }
  std::uint64_t deleted_storage = 0;
  if (std::find(items.begin(), items.end(), "DELETED-STORAGE") != items.end()) {
    auto sized = co_await deleted_bytes(mailbox.mailbox_id());
    if (!sized) co_return sized.error();
    deleted_storage = *sized;
  }
  std::string values;
  for (const auto& item : items) {
    std::uint64_t value = 0;
    if (item == "MESSAGES")
      value = s.messages();
    else if (item == "RECENT")
      value = recent;
    else if (item == "UIDNEXT")
      value = s.uid_next();
    else if (item == "UIDVALIDITY")
      value = s.uid_validity();
    else if (item == "UNSEEN")
      value = s.unseen();
    else if (item == "DELETED")
      value = s.deleted();
    else if (item == "SIZE")
      value = s.size_bytes();
    else if (item == "HIGHESTMODSEQ")
      value = s.highest_modseq();
    else if (item == "DELETED-STORAGE")
      value = deleted_storage;
    values += (values.empty() ? "" : " ") + item + " " + std::to_string(value);
  }
  co_return "* STATUS " + wire_name(mailbox.path()) + " (" + values + ")\r\n";
}

// RFC 9208 §4.4 DELETED-STORAGE: what EXPUNGE would free, in units of 1024 octets.
awaitable<Result<std::uint64_t>> Session::deleted_bytes(std::uint64_t mailbox_id) {
  v1::ListMessagesRequest list;
  list.set_account_id(account_id_);
  list.set_mailbox_id(mailbox_id);
  auto records = co_await list_records(list);
  if (!records) co_return records.error();
  std::uint64_t bytes = 0;
  for (const auto& m : *records) {
    const auto& system = m.flags().system();
    if (std::find(system.begin(), system.end(), v1::SYSTEM_FLAG_DELETED) != system.end())
      bytes += m.size();
  }
  co_return (bytes + 1023) / 1024;
}

awaitable<bool> Session::select(const Command& c, Reader& args, bool read_only) {
  // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected, and the client is told the
  // previous one was closed (RFC 7162 §3.2.10.2, RFC 9051 §7.1 CLOSED) before anything else.
  if (selected_ && !co_await send("* OK [CLOSED] Previous mailbox closed\r\n")) co_return false;
  selected_.reset();
  if (state_ == State::selected) state_ = State::authenticated;
  auto name = args.astring();
  if (!name) co_return co_await tagged(c, "BAD", "SELECT needs a mailbox name");
  SelectParams params;
  if (args.try_char(' ')) {
    auto parsed = parse_select_params(args);
    if (!parsed) co_return co_await tagged(c, "BAD", parsed.error().message);
    params = std::move(*parsed);
  }
  if (!args.at_end()) co_return co_await tagged(c, "BAD", "Unexpected text after the mailbox name");
  // RFC 7162 §3.2.5: QRESYNC parameters only after ENABLE QRESYNC.
  if (params.qresync && !qresync_) co_return co_await tagged(c, "BAD", "ENABLE QRESYNC first");
  if (params.condstore) condstore_ = true;
  auto mailbox = co_await find_mailbox(*name);
  if (!mailbox) {
    const auto why = no_mailbox_text(mailbox.error());
    co_return co_await tagged(c, "NO", why);
  }
  const auto& s = mailbox->status();
  auto snapshot = co_await load_uids(mailbox->mailbox_id());
  if (!snapshot) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  selected_.emplace();
  selected_->mailbox_id = mailbox->mailbox_id();
  selected_->name = mailbox->path();
  selected_->read_only = read_only;
  selected_->uids = std::move(snapshot->uids);
  selected_->modseq = snapshot->highest_modseq;
  selected_->keywords = std::move(snapshot->keywords);
  if (!selected_->uids.empty()) {
    if (auto claimed = co_await claim_recent(selected_->uids.back()); !claimed) {
      selected_.reset();
      co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
    }
  }
  state_ = State::selected;
  std::string out;
  out += "* " + std::to_string(selected_->uids.size()) + " EXISTS\r\n";
  out += recent_response();
  out += flags_responses();
  // RFC 3501 §6.3.1: the first unseen message's number (IMAP4rev2 dropped it, RFC 9051 App. E).
  if (snapshot->first_unseen != 0 && !rev2_) {
    const auto& uids = selected_->uids;
    const auto at = std::lower_bound(uids.begin(), uids.end(), snapshot->first_unseen);
    out += "* OK [UNSEEN " + std::to_string(at - uids.begin() + 1) + "] First unseen\r\n";
  }
  out += "* OK [UIDVALIDITY " + std::to_string(s.uid_validity()) + "] UIDs valid\r\n";
  out += "* OK [UIDNEXT " + std::to_string(s.uid_next()) + "] Predicted next UID\r\n";
  // RFC 7162 §3.1.2.1: the mailbox's HIGHESTMODSEQ (every mailbox here keeps modseqs).
  out += "* OK [HIGHESTMODSEQ " + std::to_string(selected_->modseq) + "] Highest\r\n";
  out += "* LIST " + attributes(*mailbox, false) + " \"/\" " + wire_name(mailbox->path()) + "\r\n";
  if (params.qresync) {
    auto changes = co_await resync(*params.qresync, s);
    if (!changes) {
      selected_.reset();
      state_ = State::authenticated;
      co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
    }
    out += *changes;
  }
  co_return co_await send(out + c.tag + (read_only ? " OK [READ-ONLY] " : " OK [READ-WRITE] ") +
                          (read_only ? "EXAMINE" : "SELECT") + " completed\r\n");
}

awaitable<bool> Session::unselect(const Command& c, bool close) {
  // CLOSE also expunges \Deleted messages of a read-write mailbox, silently (RFC 9051 §6.4.1).
  if (close && !selected_->read_only) {
    auto expunged = co_await expunge_messages(nullptr);
    if (!expunged) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  }
  selected_.reset();
  state_ = State::authenticated;
  co_return co_await tagged(c, "OK", close ? "CLOSE completed" : "UNSELECT completed");
}

}  // namespace tessera::imap
