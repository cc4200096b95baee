// Raw DEFLATE in both directions of a connection, for IMAP COMPRESS=DEFLATE (RFC 4978 §4: no
// zlib header or trailer, the whole session one stream; every write ends with a sync flush so
// the peer can decode each response as soon as it arrives). Pure zlib state, no I/O: the
// Stream feeds it the bytes it reads and sends the bytes it produces.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <zlib.h>

#include "base/result.hpp"

namespace tessera::net {

class Deflate {
  struct Token {};  // only make() constructs

 public:
  explicit Deflate(Token) {}
  // Error net.compression when zlib cannot be set up (out of memory).
  static Result<std::unique_ptr<Deflate>> make();
  ~Deflate();
  Deflate(const Deflate&) = delete;
  Deflate& operator=(const Deflate&) = delete;

  // Compresses `plain` and sync-flushes: the bytes to send.
  Result<std::string> compress(std::string_view plain);

  // Bytes read from the peer, not inflated yet, go here: `input_space()` is where to read
  // into, `input_added(n)` says how many arrived.
  char* input_space();
  std::size_t input_capacity() const;
  void input_added(std::size_t n);
  // Inflates buffered input into `out` (at most `size` bytes); 0 = more input is needed.
  // Error net.compression on corrupt data (the connection must end).
  Result<std::size_t> decompress(char* out, std::size_t size);

 private:
  z_stream inflater_{};
  z_stream deflater_{};
  bool inflater_ready_ = false;
  bool deflater_ready_ = false;
  std::string input_;           // compressed bytes from the peer
  std::size_t input_used_ = 0;  // of input_, consumed by inflate
  std::size_t input_end_ = 0;   // of input_, filled by reads
};

}  // namespace tessera::net
