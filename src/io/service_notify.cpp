#include "io/service_notify.hpp"

#include <systemd/sd-daemon.h>

#include <ctime>
#include <string>

namespace tandem::io {
namespace {

// sd_notify returns > 0 when sent, 0 when NOTIFY_SOCKET is unset, and a negative errno on
// failure. The environment is kept (unset_environment = 0) so that later messages find it.
bool send(const std::string& state) {
  return ::sd_notify(0, state.c_str()) > 0;
}

std::string status_assignment(std::string_view status) {
  std::string state = "STATUS=";
  state.reserve(state.size() + status.size());
  for (const char c : status) state += (c == '\n' || c == '\r') ? ' ' : c;
  return state;
}

}  // namespace

bool notify_ready(std::string_view status) {
  return send(status.empty() ? "READY=1" : "READY=1\n" + status_assignment(status));
}

bool notify_stopping() {
  return send("STOPPING=1");
}

bool notify_reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1'000ULL;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool notify_status(std::string_view status) {
  return send(status_assignment(status));
}

}  // namespace tandem::io
