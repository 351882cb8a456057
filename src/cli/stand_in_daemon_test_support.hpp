// For the tests of the commands that signal a running daemon (`tandem down`, `tandem reload`): a
// forked child that takes a config's instance lock as `tandem up` does and then behaves as the
// test says.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>

#include "daemon/instance_lock.hpp"

namespace tandem::testing {

// Forks; the child runs `prepare` (to block or ignore signals before anyone can send one), takes
// `name`'s lock, and runs `serve` with it, then exits. Returns the child's PID once it holds the
// lock (the test fails if it could not take it).
inline pid_t fork_stand_in_daemon(
    const std::string& name, const std::function<void()>& prepare,
    const std::function<void(std::optional<daemon::InstanceLock>&)>& serve) {
  int ready[2] = {-1, -1};
  EXPECT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  EXPECT_GE(child, 0);
  if (child == 0) {
    prepare();
    std::optional<daemon::InstanceLock> lock;
    if (auto acquired = daemon::InstanceLock::acquire(name)) lock.emplace(std::move(*acquired));
    const char c = lock ? 'L' : 'E';
    if (::write(ready[1], &c, 1) != 1) ::_exit(2);
    serve(lock);
    ::_exit(0);
  }
  char c = 0;
  EXPECT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_EQ(c, 'L') << "the stand-in daemon could not take the lock";
  ::close(ready[0]);
  ::close(ready[1]);
  return child;
}

}  // namespace tandem::testing
