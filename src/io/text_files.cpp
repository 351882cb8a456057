// write(2) loops with fsync for the daemon's small text files.
#include "io/text_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "io/unique_fd.hpp"

namespace tandem::io {
namespace {

Result<Ok, std::string> write_all(int fd, std::string_view text, const std::string& path) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(errno_text("write " + path, errno));
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) return Err(errno_text("fsync " + path, errno));
  return Ok{};
}

}  // namespace

Result<Ok, std::string> write_in_place(const std::string& path, std::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Err(errno_text("open " + path, errno));
  return write_all(fd.get(), text, path);
}

Result<Ok, std::string> replace_file(const std::string& path, std::string_view text, mode_t mode) {
  const std::string temporary = path + ".new";
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return Err(errno_text("open " + temporary, errno));
  if (auto ok = write_all(fd.get(), text, temporary); !ok) {
    ::unlink(temporary.c_str());
    return ok;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return Err(errno_text("rename " + temporary + " to " + path, error));
  }
  return Ok{};
}

Result<Ok, std::string> remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Err(errno_text("remove " + path, errno));
  return Ok{};
}

}  // namespace tandem::io
