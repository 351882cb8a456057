// The "mtu_probe" object of a status document, alike for every protocol that probes a path's
// MTU (hybrid::MtuProber): the search's state, the size probed (only while packets are held to
// one), the size searched up to and the probes' counts; or "off" with the reason nothing probes.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "hybrid/mtu_prober.hpp"

namespace tandem::daemon {

nlohmann::json mtu_probe_json(const hybrid::MtuProber& prober);
nlohmann::json mtu_probe_off_json(std::string_view reason);

}  // namespace tandem::daemon
