// An owned file descriptor and the errno-to-text helper every io/ file reports errors with.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace tandem::io {

// Closes on destruction; move-only so ownership of each kernel object stays obvious.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A failed system call on a hot path: just the errno, turned into text only when reported.
struct SysError {
  int code = 0;
  std::string text() const;
};

// "<what>: <strerror(err)>", the shape of every setup-time error io/ returns.
std::string errno_text(std::string_view what, int err);

}  // namespace tandem::io
