// idle: opens --connections sessions (at most --concurrency being opened at once), each logged
// in, its mailbox selected and in IDLE (RFC 2177); prints a "ready" line, holds them until
// SIGUSR1/SIGTERM or --hold seconds, then ends each IDLE with DONE and logs out. The run script
// measures the server's memory between the ready line and the signal.
#include <csignal>
#include <memory>

#include "commands.hpp"
#include "report.hpp"

namespace tessera::bench {
namespace {

using namespace asio::experimental::awaitable_operators;

struct IdleRun {
  IdleRun(asio::io_context& io, const Options& options)
      : o(options), workers_left(options.concurrency), setup_done(io), release(io) {
    setup_done.expires_after(std::chrono::milliseconds(
        static_cast<long>((options.setup_seconds + options.hold) * 1000) + 60'000));
    release.expires_after(setup_done.expiry() - Clock::now());
  }
  const Options& o;
  long next = 0;  // the next connection to open
  int workers_left;
  bool setup_finished = false;
  bool released = false;
  long done_ok = 0;               // IDLE ended with a tagged OK after DONE
  long reissued = 0;              // IDLEs ended and started again (refresh)
  Tally setup;                    // time from connect to "+ idling", per connection
  Tally finish;                   // DONE and its reply
  asio::steady_timer setup_done;  // cancelled when the last worker ends
  asio::steady_timer release;     // cancelled to end every IDLE
  Clock::time_point started = Clock::now();
  Clock::time_point ready_at;
  Clock::time_point released_at;
};

// Ends the IDLE and starts it again. RFC 2177 §3: a server may log a client out after its
// inactivity timeout even in IDLE, so clients re-issue IDLE at least every 29 minutes.
awaitable<Status> refresh(IdleRun& run, Client& client) {
  auto reply = co_await client.idle_done(run.o.timeout);
  if (auto s = expect_ok(reply, "DONE (re-issuing IDLE)"); !s) co_return s;
  co_return co_await client.idle(run.o.timeout);
}

// Holds one connection in IDLE until the release, then DONE (must be answered OK) and LOGOUT.
awaitable<void> hold(IdleRun& run, std::unique_ptr<Client> client) {
  asio::steady_timer reidle(co_await asio::this_coro::executor);
  const auto every = std::chrono::milliseconds(static_cast<long>(run.o.reidle * 1000));
  const auto most = static_cast<long>((run.o.setup_seconds + run.o.hold) / run.o.reidle) + 1;
  for (long i = 0; i < most && !run.released; ++i) {
    reidle.expires_after(every);
    co_await (run.release.async_wait(use_nothrow) || reidle.async_wait(use_nothrow));
    if (run.released) break;
    if (auto s = co_await refresh(run, *client); !s) {
      run.finish.error(s.error());
      client->close();
      co_return;
    }
    ++run.reissued;
  }
  auto reply = co_await client->idle_done(run.o.timeout);
  if (auto s = expect_ok(reply, "DONE (end of IDLE)"); s) {
    ++run.done_ok;
    (void)co_await client->command("LOGOUT", run.o.timeout);
  } else {
    run.finish.error(s.error());
  }
  client->close();
}

// Opens connections one after another until there are enough or the setup time is over.
awaitable<void> open_worker(IdleRun& run) {
  const auto executor = co_await asio::this_coro::executor;
  const auto deadline =
      run.started + std::chrono::milliseconds(static_cast<long>(run.o.setup_seconds * 1000));
  while (run.next < run.o.connections && Clock::now() < deadline) {
    const long n = run.next++;
    auto client = std::make_unique<Client>(executor);
    const auto began = Clock::now();
    auto status = co_await open_session(*client, run.o, n, true);
    if (status) status = co_await client->idle(run.o.timeout);
    if (!status) {
      run.setup.error(status.error());
      client->close();
      continue;
    }
    run.setup.ok(began);
    asio::co_spawn(executor, hold(run, std::move(client)), asio::detached);
  }
  if (--run.workers_left == 0) {
    run.setup_finished = true;
    run.setup_done.cancel();
  }
}

// Waits for the workers, announces the ready state, holds until a signal or --hold, releases.
awaitable<void> control(IdleRun& run) {
  const auto executor = co_await asio::this_coro::executor;
  asio::signal_set signals(executor, SIGUSR1, SIGTERM, SIGINT);  // before "ready" is printed
  if (!run.setup_finished) co_await run.setup_done.async_wait(use_nothrow);
  run.ready_at = Clock::now();
  emit(Json()
           .add("ready", 1L)
           .add("idling", run.setup.ops())
           .add("setup_seconds", seconds_since(run.started))
           .add("setup_errors", run.setup.errors())
           .add("setup_p50_ms", run.setup.percentile_ms(0.5))
           .add("setup_p99_ms", run.setup.percentile_ms(0.99))
           .add("first_error", run.setup.first_error()));
  asio::steady_timer hold_timer(executor);
  hold_timer.expires_after(std::chrono::milliseconds(static_cast<long>(run.o.hold * 1000)));
  co_await (signals.async_wait(use_nothrow) || hold_timer.async_wait(use_nothrow));
  run.released_at = Clock::now();
  run.released = true;
  run.release.cancel();
}

}  // namespace

int run_idle(const Options& o) {
  asio::io_context io(1);
  IdleRun run(io, o);
  const auto rethrow = [](const std::exception_ptr& e) {
    if (e) std::rethrow_exception(e);
  };
  asio::co_spawn(io, control(run), rethrow);
  for (int w = 0; w < o.concurrency; ++w)
    asio::co_spawn(io, open_worker(run), rethrow);
  io.run();
  const long idled = run.setup.ops();
  emit(Json()
           .add("command", "idle")
           .add("connections", o.connections)
           .add("users", o.users)
           .add("idled", idled)
           .add("done_ok", run.done_ok)
           .add("reissued", run.reissued)
           .add("setup_seconds", std::chrono::duration<double>(run.ready_at - run.started).count())
           .add("held_seconds",
                std::chrono::duration<double>(run.released_at - run.ready_at).count())
           .add("setup_errors", run.setup.errors())
           .add("finish_errors", run.finish.errors())
           .add("first_error",
                run.setup.errors() ? run.setup.first_error() : run.finish.first_error()));
  return idled == o.connections && run.done_ok == idled ? 0 : 1;
}

}  // namespace tessera::bench
