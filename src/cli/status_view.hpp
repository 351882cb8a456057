// `tandem status`: reads interfaces over the UAPI (get=1) and renders them for people (a
// wg-show-like view with relative handshake times) or machines (JSON).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "control/uapi_status.hpp"

namespace tandem::cli {

using control::InterfaceStatus;
using control::merge_peer_mtus;
using control::parse_uapi_get;
using control::PeerStatus;

std::string render_text(const std::vector<InterfaceStatus>& interfaces, std::int64_t now_unix);
std::string render_json(const std::vector<InterfaceStatus>& interfaces, std::int64_t now_unix);

// "1 minute, 5 seconds ago", as `wg show` phrases it.
std::string describe_age(std::int64_t seconds);
// "1.50 MiB", as `wg show` phrases transfer.
std::string describe_bytes(std::uint64_t bytes);

}  // namespace tandem::cli
