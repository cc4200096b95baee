#include "smtp/spool.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace tessera::smtp {
namespace {

Error spool_error(std::string_view what, const std::string& directory) {
  return make_error("smtp.spool", std::string(what) + " in spool directory " + directory + ": " +
                                      std::strerror(errno));
}

// An unnamed file in `directory`; where O_TMPFILE is not supported, a named one unlinked at once.
int open_anonymous(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  std::string name = directory + "/tessera-spool-XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(name.c_str());
  return fd;
}

}  // namespace

Spool::Spool(std::string directory, std::size_t memory_bytes)
    : directory_(std::move(directory)), memory_bytes_(memory_bytes) {}

Spool::Spool(Spool&& other) noexcept
    : directory_(std::move(other.directory_)),
      memory_bytes_(other.memory_bytes_),
      memory_(std::move(other.memory_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(std::exchange(other.size_, 0)) {}

Spool& Spool::operator=(Spool&& other) noexcept {
  if (this != &other) {
    close_file();
    directory_ = std::move(other.directory_);
    memory_bytes_ = other.memory_bytes_;
    memory_ = std::move(other.memory_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Spool::~Spool() {
  close_file();
}

void Spool::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status Spool::append(std::string_view data) {
  const std::size_t room = memory_bytes_ > memory_.size() ? memory_bytes_ - memory_.size() : 0;
  const std::size_t in_memory = size_ == memory_.size() ? std::min(room, data.size()) : 0;
  memory_.append(data.data(), in_memory);
  size_ += in_memory;
  data.remove_prefix(in_memory);
  if (data.empty()) return {};
  if (fd_ < 0) {
    fd_ = open_anonymous(directory_);
    if (fd_ < 0) return spool_error("cannot create a file", directory_);
  }
  while (!data.empty()) {
    const auto offset = static_cast<off_t>(size_ - memory_.size());
    const auto n = ::pwrite(fd_, data.data(), data.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return spool_error("cannot write", directory_);
    }
    size_ += static_cast<std::size_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> Spool::read(std::size_t offset, std::size_t n) const {
  std::string out;
  if (offset >= size_) return out;
  n = std::min(n, size_ - offset);
  if (offset < memory_.size()) {
    const auto from_memory = std::min(n, memory_.size() - offset);
    out.assign(memory_, offset, from_memory);
    offset += from_memory;
    n -= from_memory;
  }
  const auto start = out.size();
  out.resize(start + n);
  std::size_t got = 0;
  while (got < n) {
    const auto r = ::pread(fd_, out.data() + start + got, n - got,
                           static_cast<off_t>(offset - memory_.size() + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return spool_error("cannot read", directory_);
    got += static_cast<std::size_t>(r);
  }
  return out;
}

void Spool::clear() {
  close_file();
  memory_.clear();
  size_ = 0;
}

}  // namespace tessera::smtp
