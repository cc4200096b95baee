#include "net/line_reader.hpp"

#include <algorithm>
#include <cstring>

#include "net/errors.hpp"

namespace tessera::net {

namespace {
constexpr std::size_t kInitialBuffer = 4096;
}  // namespace

LineReader::LineReader(Stream& stream, Limits limits)
    : stream_(stream),
      limits_(limits),
      buffer_(std::clamp<std::size_t>(limits.max_line_bytes, 1, kInitialBuffer)),
      timer_(stream.get_executor()) {}

awaitable<Result<std::size_t>> LineReader::read_some(asio::mutable_buffer into) {
  auto [order, ec, n, timer_ec] = co_await detail::race_deadline(
      stream_.async_read_some(into, asio::deferred), timer_, limits_.read_timeout);
  if (order[0] == 1) co_return timeout_error("read");
  if (ec) co_return io_error(ec, "read");
  bytes_received_ += n;
  co_return n;
}

awaitable<Status> LineReader::fill() {
  if (begin_ == end_ && buffer_.size() > kInitialBuffer) {
    std::vector<char>(kInitialBuffer).swap(buffer_);  // a long line is over: give it back
    begin_ = end_ = 0;
  }
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const auto max = std::max<std::size_t>(limits_.max_line_bytes, 1);
  if (end_ == buffer_.size() && buffer_.size() < max)
    buffer_.resize(std::min(max, buffer_.size() * 2));
  auto n = co_await read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_));
  if (!n) co_return n.error();
  end_ += *n;
  co_return Status{};
}

awaitable<Status> LineReader::finish_discard() {
  while (discarding_) {
    const char* data = buffer_.data();
    const void* lf = std::memchr(data + begin_, '\n', end_ - begin_);
    if (lf != nullptr) {
      begin_ = static_cast<std::size_t>(static_cast<const char*>(lf) - data) + 1;
      discarding_ = false;
      break;
    }
    discarded_ += end_ - begin_;
    begin_ = end_ = 0;
    if (discarded_ > limits_.max_discard_bytes) {
      co_return make_error(std::string(errc::discard_limit),
                           "peer sent " + std::to_string(discarded_) +
                               " bytes without a line end after an overlong line");
    }
    if (Status s = co_await fill(); !s) co_return s;
  }
  co_return Status{};
}

awaitable<Result<std::string>> LineReader::read_line() {
  if (Status s = co_await finish_discard(); !s) co_return s.error();
  std::size_t scanned = 0;  // bytes after begin_ known to hold no LF
  for (;;) {
    const char* data = buffer_.data() + begin_;
    const std::size_t size = end_ - begin_;
    const void* lf = std::memchr(data + scanned, '\n', size - scanned);
    if (lf != nullptr) {
      std::size_t length = static_cast<std::size_t>(static_cast<const char*>(lf) - data);
      begin_ += length + 1;
      if (length > 0 && data[length - 1] == '\r') --length;
      co_return std::string(data, length);
    }
    scanned = size;
    if (size >= std::max<std::size_t>(limits_.max_line_bytes, 1)) {
      // The buffer is full of one line: drop it and skip the rest on the next read.
      begin_ = end_ = 0;
      discarding_ = true;
      discarded_ = size;
      co_return make_error(std::string(errc::line_too_long),
                           "line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
    }
    if (Status s = co_await fill(); !s) co_return s.error();
  }
}

std::size_t LineReader::take(char* out, std::size_t n) {
  const std::size_t count = std::min(n, end_ - begin_);
  std::memcpy(out, buffer_.data() + begin_, count);
  begin_ += count;
  return count;
}

awaitable<Result<std::string>> LineReader::read_exact(std::size_t n, std::size_t max) {
  if (n > max) {
    co_return make_error(std::string(errc::too_large),
                         std::to_string(n) + " bytes announced, limit is " + std::to_string(max));
  }
  if (Status s = co_await finish_discard(); !s) co_return s.error();
  std::string out(n, '\0');
  std::size_t got = take(out.data(), n);
  while (got < n) {
    auto r = co_await read_some(asio::buffer(out.data() + got, n - got));
    if (!r) co_return r.error();
    got += *r;
  }
  co_return out;
}

awaitable<Status> LineReader::read_chunks(std::size_t n, std::size_t chunk_size, ChunkSink sink) {
  if (Status s = co_await finish_discard(); !s) co_return s;
  chunk_size = std::max<std::size_t>(chunk_size, 1);
  std::string chunk(std::min(n, chunk_size), '\0');
  std::size_t remaining = n;
  while (remaining > 0) {
    const std::size_t want = std::min(remaining, chunk_size);
    std::size_t got = take(chunk.data(), want);
    while (got < want) {
      auto r = co_await read_some(asio::buffer(chunk.data() + got, want - got));
      if (!r) co_return r.error();
      got += *r;
    }
    if (Status s = co_await sink(std::string_view(chunk.data(), want)); !s) co_return s;
    remaining -= want;
  }
  co_return Status{};
}

awaitable<Result<std::string_view>> LineReader::peek(std::size_t want) {
  if (Status s = co_await finish_discard(); !s) co_return s.error();
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (buffer_.size() < want) buffer_.resize(want);
    auto n = co_await read_some(asio::buffer(buffer_.data(), std::min(want, buffer_.size())));
    if (!n) co_return n.error();
    end_ = *n;
  }
  co_return std::string_view(buffer_.data() + begin_, end_ - begin_);
}

std::size_t LineReader::discard_buffer() {
  const std::size_t count = end_ - begin_;
  begin_ = end_ = 0;
  return count;
}

awaitable<Status> write_all(Stream& stream, std::string_view data, Clock::duration timeout) {
  asio::steady_timer timer(stream.get_executor());
  auto [order, ec, n, timer_ec] = co_await detail::race_deadline(
      stream.async_write(asio::buffer(data), asio::deferred), timer, timeout);
  if (order[0] == 1) co_return timeout_error("write");
  if (ec) co_return io_error(ec, "write");
  co_return Status{};
}

}  // namespace tessera::net
