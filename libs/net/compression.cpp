#include "net/compression.hpp"

#include <cstring>

#include "net/errors.hpp"

namespace tessera::net {
namespace {

constexpr std::size_t kInputBuffer = 16 * 1024;

Error compression_error(std::string_view what) {
  return make_error(std::string(errc::compression), std::string(what));
}

}  // namespace

Result<std::unique_ptr<Deflate>> Deflate::make() {
  auto d = std::make_unique<Deflate>(Token{});
  // windowBits -15: raw DEFLATE (RFC 4978 §4, RFC 1951). memLevel 8 is zlib's default.
  if (inflateInit2(&d->inflater_, -15) != Z_OK) return compression_error("inflateInit2 failed");
  d->inflater_ready_ = true;
  if (deflateInit2(&d->deflater_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    return compression_error("deflateInit2 failed");
  d->deflater_ready_ = true;
  d->input_.resize(kInputBuffer);
  return d;
}

Deflate::~Deflate() {
  if (inflater_ready_) inflateEnd(&inflater_);
  if (deflater_ready_) deflateEnd(&deflater_);
}

Result<std::string> Deflate::compress(std::string_view plain) {
  std::string out;
  out.resize(deflateBound(&deflater_, plain.size()) + 16);
  deflater_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  deflater_.avail_in = static_cast<uInt>(plain.size());
  std::size_t produced = 0;
  for (;;) {
    deflater_.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    deflater_.avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = deflate(&deflater_, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) return compression_error("deflate failed");
    produced = out.size() - deflater_.avail_out;
    // Done when all input is taken and zlib had room to spare (the flush is complete).
    if (deflater_.avail_in == 0 && deflater_.avail_out != 0) break;
    out.resize(out.size() * 2);
  }
  out.resize(produced);
  return out;
}

char* Deflate::input_space() {
  if (input_used_ == input_end_) input_used_ = input_end_ = 0;
  if (input_end_ == input_.size() && input_used_ > 0) {
    std::memmove(input_.data(), input_.data() + input_used_, input_end_ - input_used_);
    input_end_ -= input_used_;
    input_used_ = 0;
  }
  return input_.data() + input_end_;
}

std::size_t Deflate::input_capacity() const {
  return input_.size() - input_end_;
}

void Deflate::input_added(std::size_t n) {
  input_end_ += n;
}

Result<std::size_t> Deflate::decompress(char* out, std::size_t size) {
  if (size == 0) return std::size_t{0};
  inflater_.next_in = reinterpret_cast<Bytef*>(input_.data() + input_used_);
  inflater_.avail_in = static_cast<uInt>(input_end_ - input_used_);
  inflater_.next_out = reinterpret_cast<Bytef*>(out);
  inflater_.avail_out = static_cast<uInt>(size);
  const int rc = inflate(&inflater_, Z_SYNC_FLUSH);
  input_used_ = input_end_ - inflater_.avail_in;
  if (rc == Z_STREAM_END) return compression_error("the peer ended the compressed stream");
  if (rc != Z_OK && rc != Z_BUF_ERROR) return compression_error("corrupt compressed data");
  return size - inflater_.avail_out;
}

}  // namespace tessera::net
