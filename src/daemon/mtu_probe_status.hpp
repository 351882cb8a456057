// The "mtu_probe" object of a status document, alike for every protocol that probes a path's
// MTU (hybrid::MtuProber): the search's state, the size probed (only while packets are held to
// one), the size searched up to and the probes' counts; or "off" with the reason nothing probes.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "hybrid/mtu_prober.hpp"

namespace tandem::daemon {

nlohmann::json mtu_probe_json(const hybrid::MtuProber& prober);
nlohmann::json mtu_probe_off_json(std::string_view reason);

// The event log's "path.mtu_changed" (event_sink.hpp): what packets on the path `where` names
// (e.g. {"path": "wireguard"}, {"peer": "b"}) are held to went from `before` to `after` (nullopt:
// the configured MTU, given as `configured`), and whether a black hole caused it.
void emit_mtu_change(nlohmann::json where, std::optional<std::size_t> before,
                     std::optional<std::size_t> after, std::size_t configured, bool black_hole);

}  // namespace tandem::daemon
