// The "mtu_probe" object of a status document (what path MTU probing found on one path) in
// words, alike for every protocol that probes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tandem::cli {

// "path MTU probing: complete, 1362 probed (searched up to 1400), 12 probes sent, 10 answered",
// or "path MTU probing: off (why)".
std::string render_mtu_probe_text(const nlohmann::json& probe);

}  // namespace tandem::cli
