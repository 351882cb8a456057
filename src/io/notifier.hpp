// An eventfd that another thread raises and an event loop watches: how a worker hands results
// to the loop that owns their consumer without sharing the loop's single wake handler.
#pragma once

#include <string>

#include "base/result.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

class Notifier {
 public:
  static Result<Notifier, std::string> create();
  // Any thread; several raises before the loop looks coalesce into one.
  void raise() const;
  // The loop's side, in its readable handler: lowers it again.
  void lower() const;
  int fd() const { return fd_.get(); }

 private:
  explicit Notifier(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace tandem::io
