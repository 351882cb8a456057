// How `tandem reload NAME` learns what the daemon did with its SIGHUP. A signal carries no answer,
// so after each reload the daemon writes the outcome to RUN_DIR/NAME.reload (beside its pidfile,
// instance_lock.hpp): its PID, a count of its reloads, applied or refused, and the one line it
// logged. The CLI reads the file before it signals and waits for a report from that PID with
// another count. Signals of one kind coalesce while pending, so two reloads at once may be served
// by one re-read of the file; each caller then sees that reload's outcome, which read the file as
// both left it.
//
// The file is replaced as a whole (written beside it, then renamed), so a reader sees the old
// report or the new one, never half of one. It is 0600: tandem reload runs as the daemon's user.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tandem::daemon {

struct ReloadReport {
  pid_t pid = 0;                 // the daemon that reloaded
  std::uint64_t generation = 0;  // its reloads so far, this one included
  bool applied = false;          // false: refused, nothing changed
  std::string message;           // one line: what changed, or why nothing did
  bool operator==(const ReloadReport&) const = default;
};

// run_directory() + "/" + name + ".reload".
std::string reload_report_path(const std::string& name);

// "pid 42\ngeneration 3\nresult applied\nmessage ...\n"; line breaks in the message become spaces.
std::string format_reload_report(const ReloadReport& report);
// nullopt for anything else (a file from another version, a partial one).
std::optional<ReloadReport> parse_reload_report(std::string_view text);

Result<Ok, std::string> write_reload_report(const std::string& path, const ReloadReport& report);
// nullopt when the file is missing or does not parse.
std::optional<ReloadReport> read_reload_report(const std::string& path);

}  // namespace tandem::daemon
