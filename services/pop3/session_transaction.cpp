// TRANSACTION state (RFC 1939 §5, §7) and UPDATE (§6). Message numbers refer to the snapshot
// taken at login; a number marked deleted is "no such message" until RSET.
#include <spdlog/spdlog.h>

#include "net/errors.hpp"
#include "pop3/response.hpp"
#include "rpc/status.hpp"
#include "session.hpp"

namespace tessera::pop3d {
namespace {

constexpr const char* kNoSuchMessage = "No such message";
// An IMAP client expunged it after the login: RFC 1939 has no code for it.
constexpr const char* kExpunged = "Message was expunged by another client";

// Bytes of a multi-line response gathered before a write: big enough to keep the socket busy,
// small enough that a 50 MB message never sits in memory.
constexpr std::size_t kFlushAt = 256 << 10;

}  // namespace

awaitable<bool> Session::transaction(const pop3::Command& c) {
  using pop3::Verb;
  auto& drop = *maildrop_;
  switch (c.verb) {
    case Verb::stat:
      co_return co_await send(
          pop3::ok(std::to_string(drop.count()) + " " + std::to_string(drop.octets())));
    case Verb::list:
      co_return co_await scan_listing(c, false);
    case Verb::uidl:
      co_return co_await scan_listing(c, true);
    case Verb::retr:
      co_return co_await retrieve(c, std::nullopt);
    case Verb::top: {
      const auto lines = pop3::line_count(c.args[1]);
      if (!lines) co_return co_await send(pop3::err("Invalid line count"));
      co_return co_await retrieve(c, *lines);
    }
    case Verb::dele: {
      const auto number = pop3::message_number(c.args[0]);
      auto* message = number ? drop.find(*number) : nullptr;
      if (!message) co_return co_await send(pop3::err(kNoSuchMessage));
      message->deleted = true;
      co_return co_await send(pop3::ok("Marked to be deleted"));
    }
    case Verb::rset:
      for (auto& m : drop.messages)
        m.deleted = false;
      co_return co_await send(pop3::ok(std::to_string(drop.count()) + " messages"));
    case Verb::noop:
      co_return co_await send(pop3::ok());
    default:
      co_return co_await send(pop3::err("Already logged in"));
  }
}

// LIST and UIDL (RFC 1939 §5, §7): one message, or all not marked deleted, multi-line.
awaitable<bool> Session::scan_listing(const pop3::Command& c, bool unique_ids) {
  const auto& drop = *maildrop_;
  auto line_of = [&](std::uint32_t number, const MaildropMessage& m) {
    return std::to_string(number) + " " +
           (unique_ids ? pop3::uidl(drop.uid_validity, m.uid) : std::to_string(m.size));
  };
  if (!c.args.empty()) {
    const auto number = pop3::message_number(c.args[0]);
    const auto* message = number ? drop.find(*number) : nullptr;
    if (!message) co_return co_await send(pop3::err(kNoSuchMessage));
    co_return co_await send(pop3::ok(line_of(*number, *message)));
  }
  std::string out = pop3::ok(unique_ids ? "Unique-ID listing follows"
                                        : std::to_string(drop.count()) + " messages");
  for (std::uint32_t n = 1; n <= drop.messages.size(); ++n) {
    if (const auto* message = drop.find(n)) out += line_of(n, *message) + "\r\n";
    if (out.size() >= kFlushAt) {
      if (!co_await send(out)) co_return false;
      out.clear();
    }
  }
  co_return co_await send(out + ".\r\n");
}

// RETR and TOP: the message streamed from the store through the multi-line encoder.
awaitable<bool> Session::retrieve(const pop3::Command& c, std::optional<std::uint32_t> top_lines) {
  const auto number = pop3::message_number(c.args[0]);
  const auto* message = number ? maildrop_->find(*number) : nullptr;
  if (!message) co_return co_await send(pop3::err(kNoSuchMessage));
  auto ahead = co_await prefetch_.get(settings_, *maildrop_, *number, top_lines.has_value());
  if (ahead.kind == Prefetched::Kind::missing) co_return co_await send(pop3::err(kExpunged));
  std::string out =
      pop3::ok(top_lines ? "Top of message follows" : std::to_string(message->size) + " octets");
  pop3::MultilineEncoder encoder(top_lines, settings_.workarounds);
  if (ahead.kind == Prefetched::Kind::body) {
    encoder.feed(ahead.data, out);
    encoder.finish(out);
    co_return co_await send(out);
  }
  bool written = true;
  bool flushed = false;  // some of the response went out
  std::function<awaitable<Status>(std::string_view)> write =
      [&](std::string_view piece) -> awaitable<Status> {
    if (encoder.done()) co_return Status{};
    encoder.feed(piece, out);
    if (out.size() >= kFlushAt) {
      written = co_await send(out);
      flushed = true;
      out.clear();
      if (!written) co_return make_error("pop3.write", "client gone");
    }
    co_return Status{};
  };
  auto read = co_await read_message(settings_, *maildrop_, message->uid, write);
  if (!written) co_return false;
  if (!read && !flushed && rpc::status_code(read.error()) == grpc::StatusCode::NOT_FOUND)
    co_return co_await send(pop3::err(kExpunged));
  if (!read) {
    // Part of the message may have gone out already: the response cannot be ended honestly,
    // so the connection ends (the client retries; nothing is deleted).
    spdlog::warn("pop3 {}: reading message {}: {}", net::endpoint_string(connection_.client),
                 message->uid, read.error().message);
    state_ = State::closed;
    co_return false;
  }
  encoder.finish(out);
  co_return co_await send(out);
}

awaitable<bool> Session::quit() {
  if (state_ != State::transaction) {
    state_ = State::closed;
    co_return co_await send(pop3::ok("Bye"));
  }
  state_ = State::closed;
  // UPDATE (RFC 1939 §6): the marked messages go to Trash in one atomic store call (P3-04).
  auto moved = co_await move_deleted_to_trash(settings_, *maildrop_);
  if (!moved) {
    spdlog::warn("pop3 {}: UPDATE failed: {}", net::endpoint_string(connection_.client),
                 moved.error().message);
    co_return co_await send(pop3::err("Some deleted messages not removed", "SYS/TEMP"));
  }
  co_return co_await send(pop3::ok("Bye"));
}

}  // namespace tessera::pop3d
