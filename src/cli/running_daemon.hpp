// Finding the daemon `tandem up` runs for a config, for the commands that stop or reload it
// (`tandem down`, `tandem reload`): the config's pidfile (daemon/instance_lock.hpp) must be
// locked, and only then is the PID in it taken for the daemon's (a pidfile nobody locks is what a
// crash leaves, and its PID may belong to an unrelated process by now). They ask it over its admin
// socket, so that the operators its [admin] group names need no root; a signal is what is left
// for a daemon without one.
#pragma once

#include <sys/types.h>

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "control/admin_protocol.hpp"

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

// How a request reached the daemon: over its admin socket, with the reply's body, or as `signal`
// (no admin socket, or one that did not answer: the reason is in `why_signalled`).
struct DaemonAnswer {
  bool signalled = false;
  std::string why_signalled;
  nlohmann::json body;
};
// Asks the daemon over its admin socket (daemon/admin_server.hpp) when it has one, and otherwise
// sends it `signal`; nullopt after writing to `err` why neither reached it.
std::optional<DaemonAnswer> ask_or_signal(const RunningDaemon& daemon, control::AdminCommand ask,
                                          int signal, std::string_view command, std::ostream& err);

}  // namespace tandem::cli
