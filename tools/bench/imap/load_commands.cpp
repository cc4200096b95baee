// login, fetch, append and seed: N client coroutines on one thread, each a loop bounded by
// --count operations, the measuring time and an error budget.
#include <cstdint>
#include <string>

#include "base/ascii.hpp"
#include "commands.hpp"
#include "messages.hpp"
#include "report.hpp"

namespace tessera::bench {
namespace {

using namespace std::chrono_literals;

// A server that fails every request is not hammered for the whole measuring time.
constexpr long kMaxErrors = 1000;
// Indexes of appended messages: far from the seed's, so never the same message.
constexpr std::uint64_t kAppendIndexBase = 1'000'000'000;

awaitable<void> pause(Clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  co_await timer.async_wait(use_nothrow);
}

awaitable<void> logout(Client& client, const Options& o) {
  (void)co_await client.command("LOGOUT", o.timeout);
  client.close();
}

// A fresh connection per iteration; measured from connect to the tagged OK of LOGIN.
awaitable<void> login_client(const Options& o, int c, Clock::time_point stop, Tally& tally) {
  const auto executor = co_await asio::this_coro::executor;
  for (long i = 0; i < o.count && Clock::now() < stop && tally.errors() < kMaxErrors; ++i) {
    Client client(executor);
    const auto began = Clock::now();
    auto opened = co_await open_session(client, o, c + i * o.clients, false);
    if (!opened) {
      tally.error(opened.error());
      client.close();
      co_await pause(50ms);
      continue;
    }
    tally.ok(began);
    co_await logout(client, o);
  }
}

// One session with the mailbox selected; each FETCH asks for `window` messages at a
// pseudo-random position and must get `window` FETCH responses back.
awaitable<void> fetch_client(const Options& o, int c, StartLine& line, Tally& tally) {
  Client client(co_await asio::this_coro::executor);
  Reply selected;
  if (auto s = co_await open_session(client, o, c, true, &selected); !s) {
    tally.error(s.error());
    line.drop();
    co_return;
  }
  co_await line.ready();
  const auto exists = static_cast<long>(selected.exists);
  if (exists < o.window) {
    tally.error(make_error("bench.setup", o.user(c) + " " + o.mailbox + " has " +
                                              std::to_string(exists) + " messages, fewer than " +
                                              std::to_string(o.window)));
    co_return;
  }
  std::uint64_t state = static_cast<std::uint64_t>(c) + 1;
  for (long i = 0; i < o.count && Clock::now() < line.stop() && tally.errors() < kMaxErrors; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG: Knuth's MMIX
    const long first = 1 + static_cast<long>((state >> 33) % (exists - o.window + 1));
    const std::string command = "FETCH " + std::to_string(first) + ":" +
                                std::to_string(first + o.window - 1) + " " + o.items;
    const auto began = Clock::now();
    auto reply = co_await client.command(command, o.timeout);
    if (auto s = expect_ok(reply, command); !s) {
      tally.error(s.error());
      if (!reply) co_return;
      continue;
    }
    if (static_cast<long>(reply->fetches) != o.window) {
      tally.error(make_error("bench.short", command + ": " + std::to_string(reply->fetches) +
                                                " FETCH responses, then \"" + reply->line + "\""));
      continue;
    }
    tally.ok(began);
  }
  co_await logout(client, o);
}

// One logged-in session appending messages of --size bytes, one after the other. A mailbox
// other than INBOX is created first (if it exists already, the NO is of no consequence), so
// that each run can start from an empty one.
awaitable<void> append_client(const Options& o, int c, StartLine& line, Tally& tally) {
  Client client(co_await asio::this_coro::executor);
  if (auto s = co_await open_session(client, o, c, false); !s) {
    tally.error(s.error());
    line.drop();
    co_return;
  }
  if (ascii_upper(o.mailbox) != "INBOX") {
    const std::string create = "CREATE \"" + o.mailbox + "\"";
    (void)co_await client.command(create, o.timeout);
  }
  co_await line.ready();
  for (long i = 0; i < o.count && Clock::now() < line.stop() && tally.errors() < kMaxErrors; ++i) {
    const auto index = kAppendIndexBase + static_cast<std::uint64_t>(c) * 10'000'000 +
                       static_cast<std::uint64_t>(i);
    const auto message = make_message(index, o.size);
    const auto began = Clock::now();
    auto reply = co_await client.append(o.mailbox, message, o.timeout);
    if (auto s = expect_ok(reply, "APPEND " + o.mailbox); !s) {
      tally.error(s.error());
      if (!reply) co_return;
      continue;
    }
    tally.ok(began);
  }
  co_await logout(client, o);
}

// Users c, c + clients, ...: each gets messages 0 .. messages-1 in order, so that every user on
// every server holds the same messages under the same sequence numbers.
awaitable<void> seed_client(const Options& o, int c, Clock::time_point stop, Tally& tally) {
  const auto executor = co_await asio::this_coro::executor;
  for (long u = c; u < o.users && Clock::now() < stop; u += o.clients) {
    Client client(executor);
    if (auto s = co_await open_session(client, o, u, false); !s) {
      tally.error(s.error());
      continue;
    }
    for (long m = 0; m < o.messages && Clock::now() < stop; ++m) {
      const auto message = make_message(static_cast<std::uint64_t>(m), o.size);
      const auto began = Clock::now();
      auto reply = co_await client.append(o.mailbox, message, o.timeout);
      if (auto s = expect_ok(reply, "APPEND as " + o.user(u)); !s) {
        tally.error(s.error());
        break;
      }
      tally.ok(began);
    }
    co_await logout(client, o);
  }
}

Clock::time_point after(double seconds) {
  return Clock::now() + std::chrono::milliseconds(static_cast<long>(seconds * 1000));
}

// fetch and append: clients set up, wait at the start line, then measure.
int run_measured(const Options& o, const char* name,
                 awaitable<void> (*client)(const Options&, int, StartLine&, Tally&)) {
  asio::io_context io(1);
  StartLine line(io, o.clients, o.seconds);
  Tally tally;
  run_clients(io, o.clients, [&](int c) { return client(o, c, line, tally); });
  const double elapsed = std::chrono::duration<double>(Clock::now() - line.start()).count();
  Json json;
  json.add("command", name).add("clients", o.clients).add("users", o.users);
  if (std::string(name) == "fetch") json.add("window", o.window);
  emit(json.add(tally, elapsed));
  return tally.ops() > 0 ? 0 : 1;
}

}  // namespace

int run_login(const Options& o) {
  asio::io_context io(1);
  Tally tally;
  const auto start = Clock::now();
  const auto stop = after(o.seconds);
  run_clients(io, o.clients, [&](int c) { return login_client(o, c, stop, tally); });
  emit(Json()
           .add("command", "login")
           .add("clients", o.clients)
           .add("users", o.users)
           .add(tally, seconds_since(start)));
  return tally.ops() > 0 ? 0 : 1;
}

int run_fetch(const Options& o) {
  return run_measured(o, "fetch", fetch_client);
}

int run_append(const Options& o) {
  return run_measured(o, "append", append_client);
}

int run_seed(const Options& o) {
  asio::io_context io(1);
  Tally tally;
  const auto start = Clock::now();
  const auto stop = after(o.seconds);
  run_clients(io, o.clients, [&](int c) { return seed_client(o, c, stop, tally); });
  emit(Json()
           .add("command", "seed")
           .add("users", o.users)
           .add("messages", o.messages)
           .add(tally, seconds_since(start)));
  return tally.errors() == 0 && tally.ops() == o.users * o.messages ? 0 : 1;
}

}  // namespace tessera::bench
