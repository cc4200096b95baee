// LineReader: the buffered, bounded reader every line protocol (SMTP, IMAP, POP3) reads with.
// Lines, literals and streamed bodies, each with a size limit and every read with a deadline
// (style.md §6, design.md §6 "Limits everywhere"). Memory is bounded by max_line_bytes for
// lines and by the caller's max or chunk size for literals, whatever the peer sends.
//
// Errors (codes in net/errors.hpp): net.line_too_long and net.too_large leave the reader in
// step with the peer, so the protocol answers (SMTP 500, IMAP BAD) and reads on. net.timeout,
// net.eof, net.io and net.discard_limit are fatal: close the connection.
//
// Not thread-safe; one LineReader per Stream, used from the Stream's executor. The Stream must
// outlive the reader.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/asio.hpp"
#include "base/result.hpp"
#include "net/deadline.hpp"
#include "net/stream.hpp"

namespace tessera::net {

// Receives a streamed body piece by piece; an error stops the transfer.
using ChunkSink = std::function<awaitable<Status>(std::string_view)>;

class LineReader {
 public:
  struct Limits {
    // Longest line accepted, terminator included (RFC 5321 §4.5.3.1.6 sets 1000 for SMTP; IMAP
    // servers commonly allow 8 KiB or more). The buffer starts at 4 KiB, grows towards this
    // only for a line that needs it, and shrinks back once it is empty (an idle IMAP session
    // holds 4 KiB, not 64).
    std::size_t max_line_bytes;
    // Longest wait for the next bytes from the peer (an idle timeout, per read).
    Clock::duration read_timeout;
    // After an overlong line, how much more we discard looking for its end before giving up
    // with net.discard_limit: the work per overlong line is bounded, not only the memory.
    std::size_t max_discard_bytes = std::size_t{64} << 20;
  };

  LineReader(Stream& stream, Limits limits);
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // A protocol changes its idle allowance with its state (IMAP: 1 minute before login, 30 after).
  void set_read_timeout(Clock::duration timeout) { limits_.read_timeout = timeout; }

  // One line without its CRLF (a bare LF ends a line too). When no LF shows up within
  // max_line_bytes: net.line_too_long, having read at most max_line_bytes of it; the next read
  // first discards the rest of that line, through its LF, in constant memory.
  awaitable<Result<std::string>> read_line();

  // Exactly n bytes (an IMAP literal, RFC 9051 §4.3). n > max is refused with net.too_large
  // before anything is read, so the protocol can answer and the peer's bytes stay unread.
  awaitable<Result<std::string>> read_exact(std::size_t n, std::size_t max);

  // Exactly n bytes handed to `sink` in pieces of at most chunk_size (a 50 MB message never
  // sits whole in memory). To skip bytes, pass a sink that accepts everything. If the sink
  // fails, its error is returned and the rest of the n bytes is left unread.
  awaitable<Status> read_chunks(std::size_t n, std::size_t chunk_size, ChunkSink sink);

  // The bytes buffered now, reading first if there are none (at most `want` then; the buffer
  // grows to `want` for such a bulk read and shrinks back at the next line read). For bodies
  // whose end the protocol finds itself (SMTP DATA, RFC 5321 §4.5.2): scan the view, then
  // consume() what was used; the rest stays for the next read (pipelined commands).
  awaitable<Result<std::string_view>> peek(std::size_t want);
  void consume(std::size_t n) { begin_ += std::min(n, end_ - begin_); }

  // Bytes received but not yet returned. After STARTTLS they were sent in plaintext before
  // the handshake and must not be taken as protected commands (CVE-2011-0411, RFC 3207 §4.2):
  // a protocol checks buffered(), may refuse, and calls discard_buffer() before the handshake.
  std::size_t buffered() const { return end_ - begin_; }
  // Drops the buffered bytes; returns how many there were.
  std::size_t discard_buffer();

  // For metrics and tests: total bytes received, and the buffer's size now.
  std::size_t bytes_received() const { return bytes_received_; }
  std::size_t buffer_capacity() const { return buffer_.size(); }

 private:
  // One read of at most `into.size()` bytes, with the read deadline.
  awaitable<Result<std::size_t>> read_some(asio::mutable_buffer into);
  // Reads more into the free tail of the buffer (after moving the unread bytes to the front).
  awaitable<Status> fill();
  // Finishes discarding an overlong line, if one is pending.
  awaitable<Status> finish_discard();
  // Moves up to n buffered bytes to `out`; returns how many.
  std::size_t take(char* out, std::size_t n);

  Stream& stream_;
  Limits limits_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last received byte
  bool discarding_ = false;
  std::size_t discarded_ = 0;
  std::size_t bytes_received_ = 0;
  asio::steady_timer timer_;
};

// Writes all of `data` within `timeout`. Errors: net.timeout, net.eof, net.io.
awaitable<Status> write_all(Stream& stream, std::string_view data,
                            Clock::duration timeout = std::chrono::seconds(60));

}  // namespace tessera::net
