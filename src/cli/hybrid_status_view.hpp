// The text `tandem status` prints for a hybrid interface's status document
// (daemon::HybridInterface::status_json()): a client's paths, which one carries the traffic and
// the last switch; a gateway's accounts and the path each one's traffic returns on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tandem::cli {

std::string render_hybrid_text(const nlohmann::json& status);

}  // namespace tandem::cli
