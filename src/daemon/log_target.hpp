// The daemon's --log-target: where its log lines go. "stderr" is the terminal (or whatever the
// caller connected); "journal" is the systemd journal's native protocol, with the interface as a
// field; "syslog" is syslog(3), facility daemon. "auto" picks what reaches a reader:
//   - detached (`tandem up -d`, stderr is /dev/null): the journal when its socket exists, else
//     syslog;
//   - in the foreground with stderr already a journal stream (a systemd unit): the journal's
//     native protocol, which keeps the interface and the priority as fields;
//   - otherwise stderr.
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tandem::daemon {

enum class LogTarget { kAuto, kStderr, kJournal, kSyslog };

// "auto", "stderr", "journal" or "syslog"; empty means auto.
Result<LogTarget, std::string> parse_log_target(std::string_view text);
const char* log_target_name(LogTarget target);
// The option as a daemon takes it: parsed, and "stderr" refused for a daemon that detaches (its
// stderr becomes /dev/null, so every line would be lost).
Result<LogTarget, std::string> parse_log_target_option(std::string_view text, bool detaching);

// What the host offers, so that the choice is a pure function of it.
struct LogSurroundings {
  bool detached = false;           // stdio is /dev/null
  bool stderr_is_journal = false;  // JOURNAL_STREAM names stderr
  bool journal_socket = false;     // /run/systemd/journal/socket exists
};
LogSurroundings probe_log_surroundings(bool detached);

// Resolves kAuto; any other target is returned as asked.
LogTarget choose_log_target(LogTarget requested, const LogSurroundings& around);

// Installs the default logger "tandem" writing to `target` (not kAuto) at `level`. Lines carry the
// interface name: in the text for stderr and syslog, as the INTERFACE field in the journal.
void install_logger(LogTarget target, const std::string& interface_name,
                    spdlog::level::level_enum level);

}  // namespace tandem::daemon
