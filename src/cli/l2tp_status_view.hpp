// `tandem status` for L2TP interfaces: the daemon's status document (JSON from the interface's
// status socket) rendered for people.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tandem::cli {

std::string render_l2tp_text(const nlohmann::json& status);
// The "ipsec" part of a status document: IKE SAs and ESP SAs with their counters.
std::string render_ipsec_text(const nlohmann::json& ipsec);
// A site-to-site IPsec interface's status document.
std::string render_ipsec_interface_text(const nlohmann::json& status);

}  // namespace tandem::cli
