#include <charconv>
#include <exception>
#include <map>
#include <type_traits>
#include <variant>

#include "commands.hpp"

namespace tessera::bench {
namespace {

template <typename Number>
Result<Number> number(const std::string& key, const std::string& text) {
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return make_error("bench.usage", "--" + key + " wants a number, not \"" + text + "\"");
  return value;
}

using Field = std::variant<std::string*, long*, int*, std::size_t*, double*>;

// Where each --key goes (--host, --port and --timeout have their own rules).
std::map<std::string, Field> fields(Options& o) {
  return {{"user", &o.user_pattern},
          {"password", &o.password},
          {"mailbox", &o.mailbox},
          {"items", &o.items},
          {"users", &o.users},
          {"first-user", &o.first_user},
          {"clients", &o.clients},
          {"count", &o.count},
          {"sources", &o.sources},
          {"messages", &o.messages},
          {"window", &o.window},
          {"size", &o.size},
          {"connections", &o.connections},
          {"concurrency", &o.concurrency},
          {"seconds", &o.seconds},
          {"hold", &o.hold},
          {"setup-seconds", &o.setup_seconds},
          {"reidle", &o.reidle}};
}

Status set_field(const Field& field, const std::string& key, const std::string& value) {
  if (auto* text = std::get_if<std::string*>(&field)) {
    **text = value;
    return Status{};
  }
  if (auto* real = std::get_if<double*>(&field)) {
    auto parsed = number<double>(key, value);
    if (!parsed || *parsed < 0) return make_error("bench.usage", "--" + key + ": bad number");
    **real = *parsed;
    return Status{};
  }
  auto parsed = number<long>(key, value);
  if (!parsed || *parsed < 0) return make_error("bench.usage", "--" + key + ": bad number");
  std::visit(
      [&](auto* target) {
        using T = std::remove_pointer_t<decltype(target)>;
        if constexpr (std::is_integral_v<T>) *target = static_cast<T>(*parsed);
      },
      field);
  return Status{};
}

// Applies one --key value to `o`; an unknown key is an error.
Status apply(Options& o, const std::string& key, const std::string& value) {
  if (key == "host") {
    error_code ec;
    const auto address = asio::ip::make_address(value, ec);
    if (ec || !address.is_loopback())
      return make_error("bench.usage", "--host must be a loopback address, not " + value);
    o.server.address(address);
    return Status{};
  }
  if (key == "port" || key == "timeout") {
    auto parsed = number<double>(key, value);
    if (!parsed || *parsed <= 0) return make_error("bench.usage", "--" + key + ": bad number");
    if (key == "timeout") {
      o.timeout = std::chrono::milliseconds(static_cast<long>(*parsed * 1000));
    } else if (*parsed > 65535 || *parsed != static_cast<double>(static_cast<long>(*parsed))) {
      return make_error("bench.usage", "--port out of range");
    } else {
      o.server.port(static_cast<unsigned short>(*parsed));
    }
    return Status{};
  }
  auto all = fields(o);
  const auto it = all.find(key);
  if (it == all.end()) return make_error("bench.usage", "unknown option --" + key);
  return set_field(it->second, key, value);
}

}  // namespace

std::string Options::user(long n) const {
  const auto index = std::to_string(first_user + n % std::max(1L, users));
  std::string name = user_pattern;
  if (const auto at = name.find("{}"); at != std::string::npos) name.replace(at, 2, index);
  return name;
}

asio::ip::address Options::source(long n) const {
  if (sources <= 1) return asio::ip::address();
  const auto last = static_cast<unsigned>(1 + n % sources);
  return asio::ip::make_address_v4((127U << 24) | last);
}

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.starts_with("--") || i + 1 >= argc)
      return make_error("bench.usage", "expected --key value, got \"" + arg + "\"");
    if (auto s = apply(o, arg.substr(2), argv[++i]); !s) return s.error();
  }
  if (o.clients < 1 || o.users < 1 || o.sources < 1 || o.sources > 254 || o.concurrency < 1 ||
      o.reidle < 1)
    return make_error("bench.usage",
                      "--clients, --users, --concurrency, --reidle >= 1; --sources 1..254");
  if (o.password.empty()) return make_error("bench.usage", "--password is required");
  return o;
}

awaitable<Status> open_session(Client& client, const Options& options, long n, bool select,
                               Reply* selected) {
  if (auto s = co_await client.connect(options.server, options.source(n), options.timeout); !s)
    co_return s;
  const auto user = options.user(n);
  auto login = co_await client.login(user, options.password, options.timeout);
  if (auto s = expect_ok(login, "LOGIN " + user); !s) co_return s;
  if (!select) co_return Status{};
  const std::string command = "SELECT \"" + options.mailbox + "\"";
  auto reply = co_await client.command(command, options.timeout);
  if (auto s = expect_ok(reply, command + " as " + user); !s) co_return s;
  if (selected) *selected = *reply;
  co_return Status{};
}

void run_clients(asio::io_context& io, int clients,
                 const std::function<awaitable<void>(int)>& body) {
  for (int c = 0; c < clients; ++c) {
    asio::co_spawn(io, body(c), [](const std::exception_ptr& e) {
      if (e) std::rethrow_exception(e);
    });
  }
  io.run();
}

StartLine::StartLine(asio::io_context& io, int clients, double seconds)
    : pending_(clients), seconds_(seconds), timer_(io) {
  timer_.expires_after(std::chrono::minutes(10));
}

awaitable<void> StartLine::ready() {
  if (--pending_ == 0) release();
  if (!released_) co_await timer_.async_wait(use_nothrow);
  if (!released_) release();  // someone is stuck in its setup: start without it
}

void StartLine::drop() {
  if (--pending_ == 0) release();
}

void StartLine::release() {
  released_ = true;
  start_ = Clock::now();
  stop_ = start_ + std::chrono::milliseconds(static_cast<long>(seconds_ * 1000));
  timer_.cancel();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace tessera::bench
