// Finding the daemon `tandem up` runs for a config, for the commands that signal it (`tandem down`,
// `tandem reload`): the config's pidfile (daemon/instance_lock.hpp) must be locked, and only then
// is the PID in it taken for the daemon's (a pidfile nobody locks is what a crash leaves, and its
// PID may belong to an unrelated process by now).
#pragma once

#include <sys/types.h>

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::cli {

struct RunningDaemon {
  std::string name;     // the instance name: "x" for /etc/tandem/x.toml
  std::string pidfile;  // its path
  pid_t pid = 0;
};

// The daemon for `target` (NAME or FILE, as `tandem up` takes it); nullopt after writing to `err`
// why there is none (not running, a stale pidfile, no PID in a locked one).
std::optional<RunningDaemon> find_running_daemon(const std::string& target, std::ostream& err);

// Sends `signal`; false after writing to `err` why it could not (`command` is the subcommand, for
// the hint to run it as root).
bool signal_daemon(const RunningDaemon& daemon, int signal, std::string_view command,
                   std::ostream& err);

}  // namespace tandem::cli
