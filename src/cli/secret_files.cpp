#include "cli/secret_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
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

Result<std::string, std::string> read_secret_line(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Err("cannot read " + std::string(what) + " file " + path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Err(path + " holds " + what + " but group or others can read it (mode " + mode +
               "): chmod 600 " + path + " (and replace the secret if others may have read it)");
  }
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    return Err("cannot read " + std::string(what) + " from " + path + ": the file is empty");
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace tandem::cli
