#include "io/unique_fd.hpp"

#include <unistd.h>

#include <cstring>

namespace tandem::io {

void UniqueFd::reset(int fd) {
  // close() is not retried on EINTR: on Linux the descriptor is released either way.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string SysError::text() const {
  return std::strerror(code);
}

std::string errno_text(std::string_view what, int err) {
  std::string out(what);
  out += ": ";
  out += std::strerror(err);
  return out;
}

}  // namespace tandem::io
