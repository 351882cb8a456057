// `tandem status` for L2TP interfaces: the daemon's status document (JSON from the interface's
// status socket) rendered for people.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tandem::cli {

std::string render_l2tp_text(const nlohmann::json& status);

}  // namespace tandem::cli
