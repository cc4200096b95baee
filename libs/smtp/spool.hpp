// Spool: where a message being received waits until the pipeline has decided its placements
// (filters and antispam need the whole message first). The first `memory_bytes` stay in memory;
// the rest goes to an anonymous file in the spool directory (O_TMPFILE: it has no name, so a
// crash or kill -9 leaves nothing behind and nothing half-received is ever delivered). Memory
// per session stays bounded whatever the message size (50 MB messages × many sessions).
//
// Not thread-safe; one per transaction. Move-only; the file closes with the object.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/asio.hpp"
#include "base/result.hpp"

namespace tessera::smtp {

class Spool {
 public:
  Spool(std::string directory, std::size_t memory_bytes);
  Spool(Spool&& other) noexcept;
  Spool& operator=(Spool&& other) noexcept;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();

  // Adds bytes at the end. Error smtp.spool when the file cannot be made or written (disk full:
  // the server answers 452 4.3.1).
  Status append(std::string_view data);
  std::size_t size() const { return size_; }
  // The leading bytes kept in memory (the header of any ordinary message).
  std::string_view head() const { return memory_; }
  // Up to n bytes from `offset` (fewer at the end).
  Result<std::string> read(std::size_t offset, std::size_t n) const;
  // Empties it for the next transaction (the file is dropped).
  void clear();

 private:
  void close_file();

  std::string directory_;
  std::size_t memory_bytes_;
  std::string memory_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

// Hands `prefix` and then the spooled bytes to `write` (awaitable<Status>(std::string)) in
// pieces of at most `chunk` bytes, the prefix in the first: a message going to the store or to
// smtp-in as client-stream chunks. Stops at the first failing write or unreadable spool.
template <typename Write>
awaitable<Status> stream_spool(const Spool& body, std::string prefix, std::size_t chunk,
                               Write& write) {
  std::size_t offset = 0;
  while (offset < body.size() || !prefix.empty()) {
    auto piece = body.read(offset, chunk - std::min(chunk, prefix.size()));
    if (!piece) co_return piece.error();
    offset += piece->size();
    prefix += *piece;
    if (auto ok = co_await write(std::move(prefix)); !ok) co_return ok;
    prefix.clear();
  }
  co_return Status{};
}

}  // namespace tessera::smtp
