#include "imap_client.hpp"

#include <array>
#include <charconv>
#include <optional>

#include <netinet/in.h>

#include "base/ascii.hpp"

namespace tessera::bench {
namespace {

using namespace asio::experimental::awaitable_operators;

// Bounds on what one reply may make us hold: a line (with its literals), a literal, the lines
// of one reply, the literals of one line.
constexpr std::size_t kMaxLine = 16 * 1024 * 1024;
constexpr std::size_t kMaxLiteral = 64 * 1024 * 1024;
constexpr std::size_t kMaxReplyLines = 1'000'000;
constexpr int kMaxLiteralsPerLine = 10'000;

// IP_BIND_ADDRESS_NO_PORT (Linux 4.2): bind() to a source address without reserving a port, so
// the port is chosen at connect() per destination and 10,000 connections fit in the range.
struct BindAddressNoPort {
  int value = 1;
  template <typename Protocol>
  int level(const Protocol&) const {
    return IPPROTO_IP;
  }
  template <typename Protocol>
  int name(const Protocol&) const {
    return 24;  // IP_BIND_ADDRESS_NO_PORT in <linux/in.h>
  }
  template <typename Protocol>
  const int* data(const Protocol&) const {
    return &value;
  }
  template <typename Protocol>
  std::size_t size(const Protocol&) const {
    return sizeof value;
  }
};

// The size of the literal announced at the end of `line` ("{n}" or "{n+}", RFC 7888).
std::optional<std::size_t> literal_size(std::string_view line) {
  if (!line.ends_with('}')) return std::nullopt;
  const auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto digits = line.substr(open + 1, line.size() - open - 2);
  if (digits.ends_with('+')) digits.remove_suffix(1);
  std::size_t size = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
    return std::nullopt;
  return size;
}

// "* <n> FETCH ..." and "* <n> EXISTS" update `reply`; other untagged data is not needed.
void count_untagged(std::string_view line, Reply& reply) {
  auto rest = line.substr(2);
  std::size_t number = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
  if (ec != std::errc() || end == rest.data()) return;
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  const auto word = ascii_upper(rest.substr(0, std::min<std::size_t>(rest.size(), 8)));
  if (word.starts_with(" FETCH")) ++reply.fetches;
  if (word.starts_with(" EXISTS")) reply.exists = number;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Client::Client(asio::any_io_executor executor) : socket_(executor), timer_(executor) {}

awaitable<Status> Client::connect(const tcp::endpoint& server, const asio::ip::address& source,
                                  Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  error_code ec;
  socket_.open(server.protocol(), ec);
  if (ec) co_return make_error("bench.connect", "socket: " + ec.message());
  if (!source.is_unspecified()) {
    socket_.set_option(BindAddressNoPort{}, ec);  // best effort: older kernels bind a port
    socket_.bind(tcp::endpoint(source, 0), ec);
    if (ec)
      co_return make_error("bench.connect", "bind " + source.to_string() + ": " + ec.message());
  }
  timer_.expires_at(deadline);
  auto done =
      co_await (socket_.async_connect(server, use_nothrow) || timer_.async_wait(use_nothrow));
  if (done.index() == 1) co_return make_error("bench.timeout", "connect: timed out");
  if (const auto [connect_ec] = std::get<0>(done); connect_ec)
    co_return make_error("bench.connect", "connect: " + connect_ec.message());
  socket_.set_option(tcp::no_delay(true), ec);
  auto greeting = co_await read_line(deadline);
  if (!greeting) co_return greeting.error();
  if (!greeting->starts_with("* OK"))
    co_return make_error("bench.refused", "greeting: \"" + *greeting + "\"");
  co_return Status{};
}

awaitable<Result<Reply>> Client::command(std::string_view text, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto tag = next_tag();
  std::string wire = tag;
  wire += ' ';
  wire += text;
  wire += "\r\n";
  if (auto sent = co_await write(wire, deadline); !sent) co_return sent.error();
  co_return co_await read_reply(tag, deadline);
}

awaitable<Result<Reply>> Client::login(std::string_view user, std::string_view password,
                                       Clock::duration timeout) {
  const std::string text = "LOGIN " + quoted(user) + " " + quoted(password);
  co_return co_await command(text, timeout);
}

awaitable<Result<Reply>> Client::append(std::string_view mailbox, std::string_view message,
                                        Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto tag = next_tag();
  const std::string head =
      tag + " APPEND " + quoted(mailbox) + " {" + std::to_string(message.size()) + "}\r\n";
  if (auto sent = co_await write(head, deadline); !sent) co_return sent.error();
  auto go_ahead = co_await read_reply(tag, deadline, true);
  if (!go_ahead || go_ahead->status != "+") co_return go_ahead;  // e.g. NO [TOOBIG] before "+"
  std::string body(message);
  body += "\r\n";
  if (auto sent = co_await write(body, deadline); !sent) co_return sent.error();
  co_return co_await read_reply(tag, deadline);
}

awaitable<Status> Client::idle(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  idle_tag_ = next_tag();
  const std::string wire = idle_tag_ + " IDLE\r\n";
  if (auto sent = co_await write(wire, deadline); !sent) co_return sent;
  auto reply = co_await read_reply(idle_tag_, deadline, true);
  if (!reply) co_return reply.error();
  if (reply->status != "+")
    co_return make_error("bench.refused", "IDLE: server replied \"" + reply->line + "\"");
  co_return Status{};
}

awaitable<Result<Reply>> Client::idle_done(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  if (auto sent = co_await write("DONE\r\n", deadline); !sent) co_return sent.error();
  co_return co_await read_reply(idle_tag_, deadline);
}

void Client::close() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

awaitable<Status> Client::write(std::string_view data, Clock::time_point deadline) {
  timer_.expires_at(deadline);
  auto done = co_await (asio::async_write(socket_, asio::buffer(data), use_nothrow) ||
                        timer_.async_wait(use_nothrow));
  if (done.index() == 1) co_return make_error("bench.timeout", "write: timed out");
  if (const auto [ec, written] = std::get<0>(done); ec) co_return closed("write: " + ec.message());
  co_return Status{};
}

awaitable<Status> Client::read_more(Clock::time_point deadline) {
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  std::array<char, 16384> chunk;
  timer_.expires_at(deadline);
  auto done = co_await (socket_.async_read_some(asio::buffer(chunk), use_nothrow) ||
                        timer_.async_wait(use_nothrow));
  if (done.index() == 1) co_return make_error("bench.timeout", "no complete reply in time");
  const auto [ec, n] = std::get<0>(done);
  if (ec == asio::error::eof) co_return closed("connection closed by the server");
  if (ec) co_return closed("read: " + ec.message());
  buffer_.append(chunk.data(), n);
  co_return Status{};
}

awaitable<Result<std::string>> Client::read_line(Clock::time_point deadline) {
  std::string line;
  for (int literals = 0; literals <= kMaxLiteralsPerLine; ++literals) {
    auto end = buffer_.find("\r\n", consumed_);
    while (end == std::string::npos) {
      if (buffer_.size() - consumed_ + line.size() > kMaxLine)
        co_return make_error("bench.too_long", "a response line over 16 MiB");
      if (auto more = co_await read_more(deadline); !more) co_return more.error();
      end = buffer_.find("\r\n", consumed_);
    }
    line.append(buffer_, consumed_, end - consumed_);
    consumed_ = end + 2;
    const auto literal = literal_size(line);
    if (!literal) co_return line;
    if (*literal > kMaxLiteral || line.size() + *literal > kMaxLine)
      co_return make_error("bench.too_long", "a literal over 64 MiB");
    while (buffer_.size() - consumed_ < *literal) {
      if (auto more = co_await read_more(deadline); !more) co_return more.error();
    }
    line += "\r\n";
    line.append(buffer_, consumed_, *literal);
    consumed_ += *literal;
  }
  co_return make_error("bench.too_long", "a response line with too many literals");
}

awaitable<Result<Reply>> Client::read_reply(const std::string& tag, Clock::time_point deadline,
                                            bool until_continuation) {
  Reply reply;
  for (std::size_t lines = 0; lines < kMaxReplyLines; ++lines) {
    auto line = co_await read_line(deadline);
    if (!line) co_return line.error();
    if (until_continuation && line->starts_with("+")) {
      reply.status = "+";
      reply.line = std::move(*line);
      co_return reply;
    }
    if (line->size() > tag.size() && line->starts_with(tag) && (*line)[tag.size()] == ' ') {
      const auto rest = std::string_view(*line).substr(tag.size() + 1);
      reply.status = ascii_upper(rest.substr(0, rest.find(' ')));
      reply.line = std::move(*line);
      co_return reply;
    }
    if (line->starts_with("* BYE")) bye_ = *line;
    if (line->starts_with("* ")) count_untagged(*line, reply);
  }
  co_return make_error("bench.too_long", "a reply of more than a million lines");
}

std::string Client::next_tag() {
  return "a" + std::to_string(++tags_);
}

Error Client::closed(std::string_view what) const {
  std::string message(what);
  if (!bye_.empty()) message += " after \"" + bye_ + "\"";
  return make_error("bench.closed", message);
}

Status expect_ok(const Result<Reply>& reply, std::string_view command) {
  if (!reply)
    return make_error(reply.error().code, std::string(command) + ": " + reply.error().message);
  if (!reply->ok())
    return make_error("bench.refused",
                      std::string(command) + ": server replied \"" + reply->line + "\"");
  return Status{};
}

}  // namespace tessera::bench
