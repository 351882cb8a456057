#include "cli/secret_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

namespace tandem::cli {

bool write_secret_file(const std::string& path, const std::string& contents, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  // O_CREAT's mode is masked by the umask and ignored for a file that already exists, so set
  // it explicitly: the secret must not be readable by others for even one write.
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  if (!ok) error = std::strerror(errno);
  if (::close(fd) != 0 && ok) {
    error = std::strerror(errno);
    ok = false;
  }
  return ok;
}

void warn_if_others_can_read(int fd, std::ostream& err) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0) return;
  err << "Warning: writing a secret key to a file that group or others can read.\n"
         "Consider setting the umask to 077 and trying again.\n";
}

}  // namespace tandem::cli
