// `tandem down NAME|FILE`: stops the daemon that `tandem up` runs for a config. It finds the
// config's pidfile (daemon/instance_lock.hpp) and, only while the file is locked (a pidfile
// nobody locks is what a crash leaves, and its PID may belong to an unrelated process by now),
// asks the daemon to stop over its admin socket, or signals the PID in it with SIGTERM where there
// is no admin socket to ask. It then waits, bounded, until the lock is released and the process
// is gone, so that when it returns the interfaces the daemon made are gone too.
#pragma once

#include <iosfwd>
#include <string>

namespace tandem::cli {

struct DownOptions {
  std::string target;           // NAME or FILE, as `tandem up` takes it
  double timeout_seconds = 15;  // an L2TP gateway hangs up each session before it exits
};

// 0 once the daemon has stopped; 1 if it was not running, could not be signalled, or did not stop
// in time (each with the reason and what to do).
int run_down(const DownOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
