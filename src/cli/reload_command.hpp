// `tandem reload NAME|FILE`: makes the daemon `tandem up` runs for a config read its file again
// (daemon/config_reload.hpp) and reports what it did. It finds the daemon as `tandem down` does
// and asks it on its admin socket, whose reply is the outcome: the changes it applied, or why it
// changed nothing. A daemon without an admin socket gets SIGHUP instead, and the command waits,
// bounded, for the report that daemon writes after the reload (daemon/reload_report.hpp).
#pragma once

#include <iosfwd>
#include <string>

namespace tandem::cli {

struct ReloadOptions {
  std::string target;           // NAME or FILE, as `tandem up` takes it
  double timeout_seconds = 15;  // a peer's endpoint name may take a while to resolve
};

// 0 when the daemon applied the file (the changes on `out`); 1 when it refused it (the reason on
// `err`: file:line:column of a broken file, or the settings that need a restart), was not
// running, could not be signalled, or did not answer in time.
int run_reload(const ReloadOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
