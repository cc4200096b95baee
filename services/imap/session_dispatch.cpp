// The command table: which commands exist, in which states (RFC 9051 §6, RFC 3501 §6), whether
// they take arguments, and the handler each runs. UID takes its own table of subcommands
// (RFC 9051 §6.4.9, RFC 5256 §4 for UID SORT and UID THREAD).
#include <span>

#include "base/ascii.hpp"
#include "session_impl.hpp"

namespace tessera::imap {
namespace {

enum States : unsigned {
  kNotAuthenticated = 1U << 0,
  kAuthenticated = 1U << 1,
  kSelected = 1U << 2,
  kLoggedIn = kAuthenticated | kSelected,
  kAnyState = kNotAuthenticated | kLoggedIn,
};

enum class Arguments { none, required, optional };

unsigned bit(State s) {
  switch (s) {
    case State::not_authenticated:
      return kNotAuthenticated;
    case State::authenticated:
      return kAuthenticated;
    case State::selected:
      return kSelected;
    case State::logout:
      break;
  }
  return 0;
}

}  // namespace

struct Session::Handler {
  std::string_view name;
  unsigned states;
  Arguments arguments;
  awaitable<bool> (*run)(Session&, const Command&, Reader&);
};

// The handlers return the member coroutine's awaitable: `c` and `a` live in dispatch(), which
// awaits it at once.
std::span<const Session::Handler> Session::commands() {
  using S = Session;
  using C = const Command&;
  static const Handler table[] = {
      {"CAPABILITY", kAnyState, Arguments::none,
       [](S& s, C c, Reader&) { return s.capability(c); }},
      // NOOP is how a client polls: in the selected state it brings pending updates (§6.1.2).
      {"NOOP", kAnyState, Arguments::none,
       [](S& s, C c, Reader&) { return s.complete(c, "", "NOOP completed"); }},
      {"ID", kAnyState, Arguments::required, [](S& s, C c, Reader& a) { return s.id(c, a); }},
      {"LOGOUT", kAnyState, Arguments::none, [](S& s, C c, Reader&) { return s.logout(c); }},
      {"STARTTLS", kNotAuthenticated, Arguments::none,
       [](S& s, C c, Reader&) { return s.starttls(c); }},
      {"LOGIN", kNotAuthenticated, Arguments::required,
       [](S& s, C c, Reader& a) { return s.login(c, a); }},
      {"AUTHENTICATE", kNotAuthenticated, Arguments::required,
       [](S& s, C c, Reader& a) { return s.authenticate(c, a); }},
      {"COMPRESS", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.compress(c, a); }},
      {"NAMESPACE", kLoggedIn, Arguments::none, [](S& s, C c, Reader&) { return s.namespace_(c); }},
      {"ENABLE", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.enable(c, a); }},
      {"IDLE", kLoggedIn, Arguments::none, [](S& s, C c, Reader&) { return s.idle(c); }},
      {"APPEND", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.append(c, a); }},
      {"CREATE", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.create(c, a); }},
      {"DELETE", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.remove(c, a); }},
      {"RENAME", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.rename(c, a); }},
      {"SUBSCRIBE", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.subscribe(c, a, true); }},
      {"UNSUBSCRIBE", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.subscribe(c, a, false); }},
      {"LIST", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.list(c, a, false); }},
      {"XLIST", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.list(c, a, false, true); }},
      {"LSUB", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.list(c, a, true); }},
      {"STATUS", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.status(c, a); }},
      {"GETQUOTAROOT", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.get_quota_root(c, a); }},
      {"GETQUOTA", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.get_quota(c, a); }},
      {"SETQUOTA", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader&) { return s.set_quota(c); }},
      {"SELECT", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.select(c, a, false); }},
      {"EXAMINE", kLoggedIn, Arguments::required,
       [](S& s, C c, Reader& a) { return s.select(c, a, true); }},
      // CHECK (RFC 3501 §6.4.1): every write is already on disk; like NOOP otherwise.
      {"CHECK", kSelected, Arguments::none,
       [](S& s, C c, Reader&) { return s.complete(c, "", "CHECK completed"); }},
      {"UNSELECT", kSelected, Arguments::none,
       [](S& s, C c, Reader&) { return s.unselect(c, false); }},
      {"CLOSE", kSelected, Arguments::none, [](S& s, C c, Reader&) { return s.unselect(c, true); }},
      {"EXPUNGE", kSelected, Arguments::none,
       [](S& s, C c, Reader& a) { return s.expunge(c, a, false); }},
      {"UID", kSelected, Arguments::required, [](S& s, C c, Reader& a) { return s.uid(c, a); }},
      {"FETCH", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.fetch(c, a, false); }},
      {"STORE", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.store(c, a, false); }},
      {"SEARCH", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.search(c, a, false); }},
      {"COPY", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.copy(c, a, false, false); }},
      {"MOVE", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.copy(c, a, false, true); }},
      {"SORT", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.sort(c, a, false); }},
      {"THREAD", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.thread(c, a, false); }},
  };
  return table;
}

std::span<const Session::Handler> Session::uid_commands() {
  using S = Session;
  using C = const Command&;
  static const Handler table[] = {
      {"FETCH", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.fetch(c, a, true); }},
      {"STORE", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.store(c, a, true); }},
      {"EXPUNGE", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.expunge(c, a, true); }},
      {"SEARCH", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.search(c, a, true); }},
      {"COPY", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.copy(c, a, true, false); }},
      {"MOVE", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.copy(c, a, true, true); }},
      {"SORT", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.sort(c, a, true); }},
      {"THREAD", kSelected, Arguments::required,
       [](S& s, C c, Reader& a) { return s.thread(c, a, true); }},
  };
  return table;
}

// The entry of `name` in `table`, or nullptr.
const Session::Handler* Session::find_handler(std::span<const Handler> table,
                                              std::string_view name) {
  for (const auto& h : table)
    if (h.name == name) return &h;
  return nullptr;
}

awaitable<bool> Session::dispatch(const Command& c) {
  Reader args(c.wire);
  args.seek(c.args);
  co_return co_await run_handler(c, args, find_handler(commands(), c.name), c.name);
}

awaitable<bool> Session::uid(const Command& c, Reader& args) {
  auto sub = args.atom();
  const std::string name = sub ? ascii_upper(*sub) : std::string();
  const auto* handler = find_handler(uid_commands(), name);
  if (!handler) co_return co_await tagged(c, "BAD", "Unknown UID command");
  co_return co_await run_handler(c, args, handler, "UID " + name);
}

awaitable<bool> Session::run_handler(const Command& c, Reader& args, const Handler* handler,
                                     std::string_view name) {
  const bool has_args = args.try_char(' ');
  if (!handler || !(handler->states & bit(state_))) {
    if (state_ == State::not_authenticated)
      co_return co_await tagged(c, "BAD", "Unknown command or not valid before login");
    co_return co_await tagged(c, "BAD", "Unknown command or not valid in this state");
  }
  if (handler->arguments == Arguments::none && (has_args || !args.at_end()))
    co_return co_await tagged(c, "BAD", std::string(name) + " takes no arguments");
  if (handler->arguments == Arguments::required && !has_args)
    co_return co_await tagged(c, "BAD", std::string(name) + " needs arguments");
  co_return co_await handler->run(*this, c, args);
}

awaitable<bool> Session::capability(const Command& c) {
  co_return co_await send("* CAPABILITY " + capabilities() + "\r\n" + c.tag +
                          " OK CAPABILITY completed\r\n");
}

// RFC 2971 §3.1: "ID" SP ("(" string SP nstring *(SP string SP nstring) ")" / NIL), at most
// 30 pairs; the client's identification is accepted, ours is the product name only.
awaitable<bool> Session::id(const Command& c, Reader& args) {
  int pairs = 0;
  bool valid = false;
  if (args.peek() == '(') {
    valid = args.list(
                    [&]() -> Status {
                      auto field = args.string();
                      if (!field) return field.error();
                      if (auto ok = args.sp(); !ok) return ok;
                      auto value = args.nstring();
                      if (!value) return value.error();
                      return ++pairs <= 30 ? Status() : args.error("more than 30 ID pairs");
                    },
                    false)
                .has_value();
  } else {
    auto nil = args.atom();
    valid = nil && ascii_upper(*nil) == "NIL";
  }
  if (!valid || !args.at_end())
    co_return co_await tagged(c, "BAD", "ID needs (field value ...) or NIL");
  co_return co_await send("* ID (\"name\" \"Tessera\")\r\n" + c.tag + " OK ID completed\r\n");
}

// RFC 9051 §6.1.3: BYE, then the tagged OK, then close.
awaitable<bool> Session::logout(const Command& c) {
  state_ = State::logout;
  co_return co_await send("* BYE Tessera IMAP logging out\r\n" + c.tag +
                          " OK LOGOUT completed\r\n");
}

// RFC 2342: one personal namespace, no other users' or shared ones yet.
awaitable<bool> Session::namespace_(const Command& c) {
  co_return co_await send("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n" + c.tag +
                          " OK NAMESPACE completed\r\n");
}

}  // namespace tessera::imap
