#include "io/system_log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
// Without this sd_journal_sendv adds CODE_FILE/LINE/FUNC of this wrapper, which says nothing.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace tandem::io {

bool journal_socket_present() {
  struct stat st {};
  return ::stat(kJournalSocketPath, &st) == 0 && S_ISSOCK(st.st_mode);
}

bool stderr_is_journal_stream() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return st.st_dev == device && st.st_ino == inode;
}

bool journal_send(int priority, std::string_view identifier, std::string_view interface_name,
                  std::string_view message) {
  const std::string fields[] = {
      "MESSAGE=" + std::string(message),
      "PRIORITY=" + std::to_string(priority),
      "SYSLOG_IDENTIFIER=" + std::string(identifier),
      "INTERFACE=" + std::string(interface_name),
  };
  std::array<iovec, std::size(fields)> iov{};
  for (std::size_t k = 0; k < iov.size(); ++k)
    iov[k] = iovec{const_cast<char*>(fields[k].data()), fields[k].size()};
  return ::sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) == 0;
}

bool journal_send_fields(const std::vector<std::string>& fields) {
  std::vector<iovec> iov(fields.size());
  for (std::size_t k = 0; k < iov.size(); ++k)
    iov[k] = iovec{const_cast<char*>(fields[k].data()), fields[k].size()};
  return ::sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) == 0;
}

void syslog_open(const char* identifier) {
  ::openlog(identifier, LOG_PID, LOG_DAEMON);
}

void syslog_send(int priority, const std::string& message) {
  ::syslog(priority, "%s", message.c_str());
}

}  // namespace tandem::io
