#include "io/notifier.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace tandem::io {

Result<Notifier, std::string> Notifier::create() {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return Err(errno_text("eventfd", errno));
  return Notifier(UniqueFd(fd));
}

void Notifier::raise() const {
  const std::uint64_t one = 1;
  // Only EAGAIN can fail here (the counter at its maximum), and then it is raised already.
  [[maybe_unused]] const ssize_t n = write(fd_.get(), &one, sizeof one);
}

void Notifier::lower() const {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = read(fd_.get(), &count, sizeof count);
}

}  // namespace tandem::io
