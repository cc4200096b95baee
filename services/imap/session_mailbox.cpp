// Authenticated state, mailbox commands: LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.9,
// SPECIAL-USE attributes RFC 6154), STATUS (§6.3.11, STATUS=SIZE RFC 8438), SELECT and EXAMINE
// (§6.3.2-3, HIGHESTMODSEQ RFC 7162), UNSELECT (RFC 3691) and CLOSE (§6.4.1).
#include <algorithm>
#include <cctype>
#include <set>

#include "base/ascii.hpp"
#include "imap/mutf7.hpp"
#include "response.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

bool is_list_char(char c) {
  return is_atom_char(c) || c == '%' || c == '*' || c == ']';
}

// list-mailbox = 1*list-char / string
Result<std::string> list_mailbox(Reader& args) {
  if (args.peek() == '"' || args.peek() == '{') return args.string();
  std::string out;
  while (!args.at_end() && is_list_char(args.peek())) {
    out.push_back(args.peek());
    args.try_char(args.peek());
  }
  if (out.empty()) return args.error("expected a mailbox pattern");
  return out;
}

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

// "INBOX" is case-insensitive (RFC 9051 §5.1); other names are compared exactly.
std::string canonical_inbox(std::string name) {
  if (name.size() >= 5) {
    const auto head = ascii_upper(name.substr(0, 5));
    if (head == "INBOX" && (name.size() == 5 || name[5] == '/')) name.replace(0, 5, "INBOX");
  }
  return name;
}

std::string attributes(const v1::Mailbox& m, bool lsub) {
  std::vector<std::string> out;
  if (!lsub) out.emplace_back(m.has_children() ? "\\HasChildren" : "\\HasNoChildren");
  switch (m.role()) {
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
      out.emplace_back("\\Junk");
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

awaitable<bool> Session::list(const Command& c, Reader& args, bool lsub) {
  auto reference = args.astring();
  if (!reference || !args.sp())
    co_return co_await tagged(c, "BAD", "LIST needs a reference and a pattern");
  auto pattern = list_mailbox(args);
  if (!pattern || !args.at_end())
    co_return co_await tagged(c, "BAD", "LIST needs a reference and a pattern");
  const std::string kind = lsub ? "LSUB" : "LIST";
  if (pattern->empty()) {
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root.
    co_return co_await send("* " + kind + " (\\Noselect) \"/\" \"\"\r\n" + c.tag + " OK " + kind +
                            " completed\r\n");
  }
  std::string full = *reference;
  if (!full.empty() && full.back() != '/') full += '/';
  full += *pattern;
  // A pattern that is not valid modified UTF-7 matches no mailbox name: an empty answer.
  auto decoded = utf8_ ? Result<std::string>(full) : mutf7_to_utf8(full);
  if (!decoded) co_return co_await complete(c, "", kind + " completed");
  const auto wanted = canonical_inbox(*decoded);
  auto tree = co_await mailboxes(false);
  if (!tree) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
  std::string out;
  std::set<std::string> parents;  // LSUB: unsubscribed parents already answered
  for (const auto& m : tree->mailboxes()) {
    if (lsub && !m.subscribed()) continue;
    if (matches(wanted, m.path())) {
      out += "* " + kind + " " + attributes(m, lsub) + " \"/\" " + wire_name(m.path()) + "\r\n";
      continue;
    }
    if (!lsub) continue;
    // RFC 3501 §6.3.9: "foo/bar" subscribed, "foo" not, LSUB "%" answers foo with \Noselect.
    for (auto cut = m.path().find('/'); cut != std::string::npos;
         cut = m.path().find('/', cut + 1)) {
      const auto parent = m.path().substr(0, cut);
      if (!matches(wanted, parent) || subscribed(*tree, parent) || !parents.insert(parent).second)
        continue;
      out += "* LSUB (\\Noselect) \"/\" " + wire_name(parent) + "\r\n";
    }
  }
  co_return co_await send(out + c.tag + " OK " + kind + " completed\r\n");
}

awaitable<bool> Session::status(const Command& c, Reader& args) {
  auto name = args.astring();
  if (!name || !args.sp()) co_return co_await tagged(c, "BAD", "STATUS needs a mailbox and items");
  std::vector<std::string> items;
  auto parsed = args.list(
      [&]() -> Status {
        auto item = args.atom();
        if (!item) return item.error();
        const auto upper = ascii_upper(*item);
        static const std::vector<std::string> kKnown = {"MESSAGES",    "RECENT",       "UIDNEXT",
                                                        "UIDVALIDITY", "UNSEEN",       "DELETED",
                                                        "SIZE",        "HIGHESTMODSEQ"};
        if (std::find(kKnown.begin(), kKnown.end(), upper) == kKnown.end())
          return args.error("unknown status item " + upper);
        items.push_back(upper);
        return {};
      },
      false);
  if (!parsed || !args.at_end())
    co_return co_await tagged(c, "BAD", "STATUS needs a mailbox and items");
  auto mailbox = co_await find_mailbox(*name);
  if (!mailbox) {
    const auto why = no_mailbox_text(mailbox.error());
    co_return co_await tagged(c, "NO", why);
  }
  const auto& s = mailbox->status();
  // RFC 7162 §3.1: STATUS HIGHESTMODSEQ is a CONDSTORE-enabling command.
  std::string enabled;
  if (std::find(items.begin(), items.end(), "HIGHESTMODSEQ") != items.end())
    enabled = enable_condstore();
  std::uint64_t recent = 0;
  if (std::find(items.begin(), items.end(), "RECENT") != items.end()) {
    auto counted = co_await count_recent(*mailbox);
    if (!counted) co_return co_await tagged(c, "NO", "[UNAVAILABLE] Try again later");
    recent = *counted;
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
    values += (values.empty() ? "" : " ") + item + " " + std::to_string(value);
  }
  co_return co_await send(enabled + "* STATUS " + wire_name(mailbox->path()) + " (" + values +
                          ")\r\n" + c.tag + " OK STATUS completed\r\n");
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
