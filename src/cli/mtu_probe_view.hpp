// The text `tandem status` prints for a path's "mtu_probe" status object (the same on every
// protocol): what path MTU probing found, or why it is off.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tandem::cli {

// "    path MTU probed: 1340 (complete; up to 1420, 14 probes, 11 answered)\n", or
// "    path MTU probing off: <reason>\n"; nothing when `path` has no "mtu_probe".
std::string render_mtu_probe_text(const nlohmann::json& path);

}  // namespace tandem::cli
