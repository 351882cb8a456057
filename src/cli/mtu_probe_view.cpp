#include "cli/mtu_probe_view.hpp"

#include <fmt/format.h>

namespace tandem::cli {

std::string render_mtu_probe_text(const nlohmann::json& path) {
  if (!path.contains("mtu_probe")) return "";
  const nlohmann::json& probe = path["mtu_probe"];
  const std::string state = probe.value("state", "?");
  if (state == "off")
    return fmt::format("    path MTU probing off: {}\n", probe.value("reason", "not asked for"));
  const std::string found = probe.contains("probed")
                                ? std::to_string(probe.value("probed", 0))
                                : std::string("nothing yet, the configured MTU holds");
  return fmt::format("    path MTU probed: {} ({}{}; up to {}, {} probes, {} answered)\n", found,
                     state, probe.value("live", true) ? "" : ", path down", probe.value("max", 0),
                     probe.value("probes_sent", 0), probe.value("probes_acked", 0));
}

}  // namespace tandem::cli
