// Reading the files a configuration names, with the errno of a failure, and checking who else
// may read the secrets in them.
#include "control/config_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace tandem::control {

Result<std::string, int> read_config_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const int error = S_ISDIR(st.st_mode) ? EISDIR : errno;
    ::close(fd);
    return Err(error);
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return Err(error);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

std::optional<std::string> access_warning(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if (st.st_mode & S_IRWXO) return "Warning: '" + path + "' is world accessible";
  if (st.st_mode & S_IRWXG) return "Warning: '" + path + "' is group accessible";
  return std::nullopt;
}

std::optional<std::string> hook_file_refusal(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  const std::string why =
      "refusing to run its pre_up/post_up/pre_down/post_down commands, which "
      "run as root: ";
  if (st.st_uid != 0)
    return why + "the file is owned by uid " + std::to_string(st.st_uid) +
           ", not root (chown root it)";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return why + "group or others may write the file (mode " + mode + "; chmod go-w it)";
  }
  return std::nullopt;
}

std::string path_beside(const std::string& base_dir, const std::string& path) {
  if ((!path.empty() && path[0] == '/') || base_dir.empty()) return path;
  return base_dir.back() == '/' ? base_dir + path : base_dir + "/" + path;
}

}  // namespace tandem::control
