// The "mtu_probe" status object (mtu_probe_status.hpp).
#include "daemon/mtu_probe_status.hpp"

#include <spdlog/spdlog.h>

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

void report_mtu_change(MtuChangeReport c) {
  const auto held = [&](std::optional<std::size_t> mtu) {
    return mtu ? std::to_string(*mtu) : "the configured MTU (" + std::to_string(c.configured) + ")";
  };
  spdlog::info(
      "{}: path MTU probing holds its packets to {} (was {}){}", c.subject, held(c.after),
      held(c.before),
      c.black_hole ? ": a black hole, the size in use stopped arriving and no ICMP said so" : "");
  if (!events().enabled()) return;
  nlohmann::json& where = c.where;
  where["mtu"] = c.after.value_or(c.configured);
  where["previous_mtu"] = c.before.value_or(c.configured);
  where["probed"] = c.after.has_value();
  where["configured_mtu"] = c.configured;
  where["black_hole"] = c.black_hole;
  events().emit("path.mtu_changed", std::move(where));
}

}  // namespace tandem::daemon
