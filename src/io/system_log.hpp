// Where a daemon's log lines go when nobody reads its stderr: the systemd journal over its native
// protocol (sd_journal_sendv(3): the message plus fields, so `journalctl INTERFACE=wg0` finds a
// node's lines), or syslog(3) on hosts without a journal. Also the two facts that decide between
// them: whether a journal socket exists, and whether stderr already is a journal stream (systemd
// sets JOURNAL_STREAM=dev:inode for a unit whose output goes to the journal; systemd.exec(5)
// says a program may then upgrade to the native protocol).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tandem::io {

// The journal's datagram socket; sd_journal_sendv(3) writes to this fixed path.
inline constexpr const char* kJournalSocketPath = "/run/systemd/journal/socket";

// True when kJournalSocketPath exists and is a socket.
bool journal_socket_present();
// True when JOURNAL_STREAM names the device and inode of file descriptor 2.
bool stderr_is_journal_stream();

// One journal entry: MESSAGE, PRIORITY (a syslog level, LOG_INFO etc.), SYSLOG_IDENTIFIER and
// INTERFACE. Returns false when it could not be sent (no journal); the caller has nowhere else
// to say so.
bool journal_send(int priority, std::string_view identifier, std::string_view interface_name,
                  std::string_view message);

// A journal entry of `fields`, each "NAME=value" (NAME in capitals, MESSAGE among them).
bool journal_send_fields(const std::vector<std::string>& fields);

// syslog(3) with facility LOG_DAEMON and the PID in each line. `identifier` must outlive every
// later syslog_send (openlog keeps the pointer), hence a string literal.
void syslog_open(const char* identifier);
void syslog_send(int priority, const std::string& message);

}  // namespace tandem::io
