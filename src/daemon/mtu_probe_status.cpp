// The "mtu_probe" status object (mtu_probe_status.hpp).
#include "daemon/mtu_probe_status.hpp"

#include "daemon/event_sink.hpp"

namespace tandem::daemon {

nlohmann::json mtu_probe_json(const hybrid::MtuProber& prober) {
  nlohmann::json j{{"state", hybrid::pmtu_state_name(prober.search().state())},
                   {"live", prober.live()},
                   {"max", prober.search().settings().max_mtu},
                   {"probes_sent", prober.probes_sent()},
                   {"probes_acked", prober.probes_acked()},
                   {"probe_bytes", prober.probe_bytes()},
                   {"changes", prober.changes()}};
  if (const auto held = prober.held_mtu()) j["probed"] = *held;
  return j;
}

nlohmann::json mtu_probe_off_json(std::string_view reason) {
  return {{"state", "off"}, {"reason", reason}};
}

void emit_mtu_change(nlohmann::json where, std::optional<std::size_t> before,
                     std::optional<std::size_t> after, std::size_t configured, bool black_hole) {
  if (!events().enabled()) return;
  where["mtu"] = after.value_or(configured);
  where["previous_mtu"] = before.value_or(configured);
  where["probed"] = after.has_value();
  where["configured_mtu"] = configured;
  where["black_hole"] = black_hole;
  events().emit("path.mtu_changed", std::move(where));
}

}  // namespace tandem::daemon
