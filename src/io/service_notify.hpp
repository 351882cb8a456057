// Telling systemd how the service is doing (sd_notify(3)): a unit with Type=notify counts as
// started only once the daemon says READY=1, so units ordered after tandem@NAME wait for the
// tunnel rather than for the fork. Each call is a no-op when NOTIFY_SOCKET is unset, which is
// every run outside such a unit (a shell, tests, `tandem up -d`'s parent).
#pragma once

#include <string_view>

namespace tandem::io {

// Each returns true when the message went to the service manager, false when there is none
// (NOTIFY_SOCKET unset) or it could not be sent; callers may ignore it, the daemon runs either
// way.
// READY=1, and with a status (say "interface wg0 up") STATUS= in the same message, so that
// `systemctl status` shows it from the moment the unit counts as started.
bool notify_ready(std::string_view status = {});
bool notify_stopping();
// A reload has begun (RELOADING=1, with MONOTONIC_USEC as Type=notify-reload asks); the daemon
// says READY=1 again when it is done, whatever the outcome.
bool notify_reloading();
// A one-line status for `systemctl status`. Line breaks become spaces: the protocol separates
// assignments by newlines, so a status must not be able to say READY=1 or MAINPID=... itself.
bool notify_status(std::string_view status);

}  // namespace tandem::io
