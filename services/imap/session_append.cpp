// APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), APPENDUID (RFC 4315 §3) and APPENDLIMIT
// (RFC 7889). The message literal is never held whole: it goes to the store's Append stream in
// 1 MiB chunks as it arrives, and the reply comes only after the store synced it to disk.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "flag_list.hpp"
#include "imap/date_time.hpp"
#include "imap/literal.hpp"
#include "net/errors.hpp"
#include "rpc/client.hpp"
#include "session_impl.hpp"
#include "uid_set.hpp"

namespace tessera::imap {
namespace {

namespace v1 = store::v1;

constexpr std::size_t kChunk = 1024 * 1024;  // the store's chunk limit

struct AppendOptions {
  v1::Flags flags;
  std::int64_t internal_date_ms = 0;  // 0 = now
};

// append-opts = [SP flag-list] [SP date-time] SP, then the literal header that ends the text.
Result<AppendOptions> parse_options(Reader& args) {
  AppendOptions out;
  if (args.peek() == '(') {
    if (auto ok = parse_flags(args, out.flags); !ok) return ok.error();
    if (!args.sp()) return args.error("expected a space after the flags");
  }
  if (args.peek() == '"') {
    auto text = args.string();
    if (!text) return text.error();
    auto when = parse_date_time(*text);
    if (!when) return args.error("bad date-time " + *text);
    out.internal_date_ms = *when;
    if (!args.sp()) return args.error("expected a space after the date");
  }
  if (args.peek() != '{' && args.peek() != '~') return args.error("expected the message literal");
  return out;
}

// The tagged NO for a store refusal (RFC 5530 response codes).
std::string refusal(const Error& error) {
  if (error.code == "rpc.RESOURCE_EXHAUSTED") return "[OVERQUOTA] Quota exceeded";
  if (error.code == "rpc.NOT_FOUND") return "[TRYCREATE] No such mailbox";
  if (error.code == "rpc.INVALID_ARGUMENT") return "[TOOBIG] Message refused: " + error.message;
  return "[UNAVAILABLE] Try again later";
}

}  // namespace

awaitable<bool> Session::append(const Command& c, Reader& args) {
  if (!append_literal_) co_return co_await tagged(c, "BAD", "APPEND needs a message literal");
  auto name = args.astring();
  if (!name || !args.sp()) co_return co_await tagged(c, "BAD", "APPEND needs a mailbox name");
  auto mailbox = co_await find_mailbox(*name);
  if (!mailbox) {
    const auto why = target_refusal(mailbox.error());
    co_return co_await tagged(c, "NO", why);
  }
  std::vector<std::uint32_t> uids;
  std::uint32_t uid_validity = 0;
  std::string line = c.wire.substr(args.position());
  for (;;) {
    Reader message_args(line);
    auto options = parse_options(message_args);
    if (!options) {
      co_await undo_appends(mailbox->mailbox_id(), uids);
      co_return co_await tagged(c, "BAD", options.error().message);
    }
    const auto literal = *append_literal_;
    if (literal.size > settings_.max_message) {
      co_await undo_appends(mailbox->mailbox_id(), uids);
      co_return co_await tagged(c, "NO", "[TOOBIG] Message larger than APPENDLIMIT");
    }
    auto stored = co_await append_one(mailbox->mailbox_id(), options->flags,
                                      options->internal_date_ms, literal);
    if (!stored && stored.error().code.starts_with("net.")) {
      co_await undo_appends(mailbox->mailbox_id(), uids);
      co_return co_await handle_read_error(stored.error());
    }
    if (!stored) {
      co_await undo_appends(mailbox->mailbox_id(), uids);
      if (!append_literal_) {
        // The literal was read: the rest of the command (CRLF, further MULTIAPPEND messages)
        // is skipped by the caller. (Still pending: refused before "+", nothing was sent.)
        auto rest = co_await reader_.read_line();
        if (!rest) co_return co_await handle_read_error(rest.error());
        if (auto next = trailing_literal(*rest)) append_literal_ = next;
      }
      const auto why = refusal(stored.error());
      co_return co_await tagged(c, "NO", why);
    }
    uids.push_back(stored->uid());
    uid_validity = stored->uid_validity();
    // After the literal: CRLF ends the command, SP starts the next message (MULTIAPPEND).
    auto next_line = co_await reader_.read_line();
    if (!next_line) {
      co_await undo_appends(mailbox->mailbox_id(), uids);
      co_return co_await handle_read_error(next_line.error());
    }
    if (next_line->empty()) break;
    auto next = trailing_literal(*next_line);
    if (!next_line->starts_with(' ') || !next) {
      co_await undo_appends(mailbox->mailbox_id(), uids);
      co_return co_await tagged(c, "BAD", "Expected the end of APPEND or another message");
    }
    append_literal_ = next;
    line = next_line->substr(1);
  }
  std::sort(uids.begin(), uids.end());
  co_return co_await complete(c, "",
                              "[APPENDUID " + std::to_string(uid_validity) + " " +
                                  format_uid_set(uids) + "] APPEND completed");
}

awaitable<Result<v1::AppendReply>> Session::append_one(std::uint64_t mailbox_id,
                                                       const v1::Flags& flags,
                                                       std::int64_t internal_date_ms,
                                                       LiteralHeader literal) {
  // A synchronising literal that cannot fit is refused before the client sends it.
  if (literal.synchronizing) {
    v1::GetQuotaRequest ask;
    ask.set_account_id(account_id_);
    auto quota = co_await rpc::unary(settings_.store->directory->async(),
                                     &v1::Directory::Stub::async::GetQuota, ask,
                                     {.timeout = settings_.store_timeout});
    if (quota && quota->limit_bytes() != 0 &&
        quota->used_bytes() + literal.size > quota->limit_bytes()) {
      co_return make_error("rpc.RESOURCE_EXHAUSTED", "over quota");
    }
  }
  // The upload runs at the client's pace: the deadline allows for a slow 50 MB literal.
  auto writer =
      rpc::client_stream(settings_.store->messages->async(), &v1::Messages::Stub::async::Append,
                         {.timeout = settings_.store_timeout + settings_.idle_timeout});
  v1::AppendRequest header;
  auto* h = header.mutable_header();
  h->set_account_id(account_id_);
  h->mutable_mailbox()->set_mailbox_id(mailbox_id);
  *h->mutable_flags() = flags;
  h->set_internal_date_unix_ms(internal_date_ms);
  h->set_declared_size(literal.size);
  Status failed = co_await writer->write(std::move(header));
  append_literal_.reset();
  if (literal.synchronizing && !co_await send("+ Ready for literal data\r\n"))
    co_return make_error(std::string(net::errc::eof), "peer gone");
  // Once the store fails, the rest of the literal is still read (and dropped) so the client
  // stays in step.
  net::ChunkSink sink = [&writer, &failed](std::string_view chunk) -> awaitable<Status> {
    if (failed) {
      v1::AppendRequest request;
      request.set_chunk(std::string(chunk));
      failed = co_await writer->write(std::move(request));
    }
    co_return Status{};
  };
  auto read = co_await reader_.read_chunks(literal.size, kChunk, sink);
  if (!read) co_return read.error();
  auto reply = co_await writer->finish();
  if (!reply) spdlog::debug("imap append: {}", reply.error().message);
  co_return reply;
}

awaitable<void> Session::undo_appends(std::uint64_t mailbox_id,
                                      const std::vector<std::uint32_t>& uids) {
  // RFC 3502 §6.3.11: a MULTIAPPEND that fails appends nothing. The messages already stored
  // are expunged again (a crash in between leaves them: documented in the README).
  if (uids.empty()) co_return;
  v1::StoreFlagsRequest flag;
  flag.set_account_id(account_id_);
  flag.set_mailbox_id(mailbox_id);
  *flag.mutable_uids() = to_uid_set(uids);
  flag.set_operation(v1::STORE_OPERATION_ADD);
  flag.mutable_flags()->add_system(v1::SYSTEM_FLAG_DELETED);
  auto flagged = co_await rpc::unary(settings_.store->messages->async(),
                                     &v1::Messages::Stub::async::StoreFlags, flag,
                                     {.timeout = settings_.store_timeout});
  if (!flagged) co_return;
  v1::ExpungeRequest expunge;
  expunge.set_account_id(account_id_);
  expunge.set_mailbox_id(mailbox_id);
  *expunge.mutable_uids() = to_uid_set(uids);
  co_await rpc::unary(settings_.store->messages->async(), &v1::Messages::Stub::async::Expunge,
                      expunge, {.timeout = settings_.store_timeout});
}

// After a command that did not take its APPEND message (refused before "+", or not valid here):
// a synchronising literal was never sent; a non-synchronising one is on its way and is read and
// dropped, with any further MULTIAPPEND messages (RFC 7888 §4).
awaitable<bool> Session::skip_append_literal() {
  while (append_literal_) {
    const auto literal = *append_literal_;
    append_literal_.reset();
    if (literal.synchronizing) co_return true;
    if (literal.size > 2 * settings_.max_message) {
      co_await send("* BYE [TOOBIG] Literal too large\r\n");
      state_ = State::logout;
      co_return true;
    }
    net::ChunkSink drop = [](std::string_view) -> awaitable<Status> { co_return Status{}; };
    if (!co_await reader_.read_chunks(literal.size, kChunk, drop)) co_return false;
    auto line = co_await reader_.read_line();
    if (!line) co_return false;
    if (auto next = trailing_literal(*line); next && line->starts_with(' ')) append_literal_ = next;
  }
  co_return true;
}

}  // namespace tessera::imap
