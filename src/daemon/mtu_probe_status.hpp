// The "mtu_probe" object of a status document, alike for every protocol that probes a path's
// MTU (hybrid::MtuProber): the search's state, the size probed (only while packets are held to
// one), the size searched up to and the probes' counts; or "off" with the reason nothing probes.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "hybrid/mtu_prober.hpp"

namespace tandem::daemon {

nlohmann::json mtu_probe_json(const hybrid::MtuProber& prober);
nlohmann::json mtu_probe_off_json(std::string_view reason);

// A change path MTU probing made to what a path's packets are held to, the same for every
// protocol: what they were held to (`before`) and are now (`after`; nullopt: the configured MTU,
// given as `configured`), and whether a black hole caused it (the size in use stopped arriving).
struct MtuChangeReport {
  std::string subject;   // names the path in the log line: "wg0: peer b", "path wireguard", ...
  nlohmann::json where;  // ... and in the event: {"peer": "b"}, {"path": "wireguard"}, ...
  std::optional<std::size_t> before;
  std::optional<std::size_t> after;
  std::size_t configured = 0;
  bool black_hole = false;
};
// Logs it ("SUBJECT: path MTU probing holds its packets to AFTER (was BEFORE)") and emits the
// event log's "path.mtu_changed" (event_sink.hpp).
void report_mtu_change(MtuChangeReport change);

}  // namespace tandem::daemon
