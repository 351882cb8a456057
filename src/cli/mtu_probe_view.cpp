// render_mtu_probe_text (mtu_probe_view.hpp).
#include "cli/mtu_probe_view.hpp"

#include <fmt/format.h>

namespace tandem::cli {

std::string render_mtu_probe_text(const nlohmann::json& probe) {
  const std::string state = probe.value("state", "off");
  if (state == "off") return fmt::format("path MTU probing: off ({})", probe.value("reason", ""));
  if (state == "pending")
    return fmt::format("path MTU probing: the first search starts shortly (up to {})",
                       probe.value("max", 0));
  std::string out = "path MTU probing: " + state;
  if (!probe.value("live", true)) out += " while the path is down";
  if (probe.contains("probed")) out += fmt::format(", {} probed", probe.value("probed", 0));
  if (state == "error" && !probe.contains("probed"))
    out += ", no probe answered: the configured MTU holds";
  return out + fmt::format(" (searched up to {}), {} probes sent, {} answered",
                           probe.value("max", 0), probe.value("probes_sent", 0),
                           probe.value("probes_acked", 0));
}

}  // namespace tandem::cli
