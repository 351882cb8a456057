// The hybrid interface's status document and failover drills (hybrid_interface.hpp), for the
// admin socket on the control thread.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "daemon/admin_server.hpp"
#include "daemon/gateway_account_view.hpp"
#include "daemon/hybrid_interface.hpp"
#include "io/system_clock.hpp"

namespace tandem::daemon {
// ---- status and drills --------------------------------------------------------------------

nlohmann::json HybridInterface::admin_document() {
  nlohmann::json doc = status_document("hybrid", status_json());
  doc["wireguard"] = wireguard_document(*wg_);
  for (const auto& slot : control_) {
    if (!slot->path) continue;
    const char* kind = slot->kind == hybrid::PathKind::kIpsecTunnel ? "ipsec" : "l2tp";
    doc[kind] = status_document(kind, slot->path->status_json());
  }
  if (gateway())
    join_account_sessions(doc, doc["wireguard"], doc.value("l2tp", nlohmann::json()),
                          doc.value("ipsec", nlohmann::json()));
  return doc;
}

Result<nlohmann::json, std::string> HybridInterface::drill(unsigned seconds) {
  if (!fallback_) return Err(std::string("drills need a client with [fallback]"));
  hybrid::FallbackPathOutput out;
  {
    std::lock_guard lock(mutex_);
    const TimePoint now = io::SystemClock::now();
    drill_until_ = now + std::chrono::seconds(seconds);
    fallback_->force_down(hybrid::PathRole::kPrimary, *drill_until_, now, fallback_out_);
    std::swap(out, fallback_out_);
  }
  spdlog::warn("drill: WireGuard held down for {} s", seconds);
  handle_fallback_output(out);
  return nlohmann::json{{"drill", "started"}, {"seconds", seconds}};
}

void HybridInterface::add_path_counters(nlohmann::json& j, hybrid::PathKind kind,
                                        const UnderlayPaths& wireguard_paths) const {
  const auto& c = counters_.paths[static_cast<std::size_t>(kind)];
  const ControlSlot* slot = control_slot(kind);
  if (kind == hybrid::PathKind::kWireguard) {
    // The device's MTU, or less towards a peer whose underlay path ICMP said is smaller.
    std::size_t mtu = wireguard_mtu_;
    for (const auto& p : wireguard_paths) {
      mtu = std::min(mtu, p.inner_mtu);
      j["underlay_path_mtu"][p.peer] = p.path_mtu;
    }
    j["mtu"] = mtu;
  } else {
    j["mtu"] = slot && slot->path ? slot->path->inner_mtu() : std::size_t{0};
  }
  j["tx_packets"] = c.tx_packets;
  j["tx_bytes"] = c.tx_bytes;
  j["rx_packets"] = c.rx_packets;
  j["rx_bytes"] = c.rx_bytes;
}

std::string HybridInterface::status_json() {
  nlohmann::json j;
  j["interface"] = name();
  // Sources that were not the account's, refused by each protocol's own check. Read before
  // mutex_ is taken: WireGuard's lock is always taken first (its events reach protocol_state()).
  nlohmann::json spoofed{{"wireguard", wg_->drops(wireguard::DropReason::kSourceNotAllowed)}};
  for (const auto& slot : control_)
    spoofed[slot->kind == hybrid::PathKind::kIpsecTunnel ? "ipsec" : "l2tp"] =
        slot->path ? slot->path->spoofed() : 0;
  j["spoofed"] = std::move(spoofed);
  const UnderlayPaths wireguard_paths = wg_->learned_path_mtus();
  const OversizeTally wireguard_too_big = wg_->oversize();
  // The control thread alone changes accounts_: read here without mutex_.
  std::vector<nlohmann::json> account_probing;
  for (const auto& a : accounts_.accounts()) account_probing.push_back(account_mtu_probe_json(a));
  std::lock_guard lock(mutex_);
  const TimePoint now = io::SystemClock::now();
  const auto ago_ms = [&](TimePoint t) { return to_millis(now - t); };
  if (fallback_) {
    j["role"] = "client";
    j["secondary"] = hybrid::path_kind_name(kind_for(hybrid::PathRole::kSecondary));
    j["secondary_mode"] = on_demand() ? "on-demand" : "warm";
    j["secondary_dialled"] = secondary().path != nullptr && !hanging_up_;
    const auto& c = fallback_->controller();
    j["active"] = hybrid::path_kind_name(kind_for(c.active()));
    nlohmann::json paths = nlohmann::json::array();
    for (auto role : {hybrid::PathRole::kPrimary, hybrid::PathRole::kSecondary}) {
      const hybrid::PathHealth& h = c.health(role);
      nlohmann::json p{{"path", hybrid::path_kind_name(kind_for(role))},
                       {"role", hybrid::path_role_name(role)},
                       {"active", c.active() == role},
                       {"protocol_up", h.protocol_up},
                       {"healthy", h.healthy},
                       {"forced_down", h.forced_down},
                       {"loss_percent", std::lround(h.loss * 100)},
                       {"probes_sent", h.probes_sent},
                       {"probes_answered", h.probes_answered}};
      if (h.last_rtt)
        p["rtt_us"] = std::chrono::duration_cast<std::chrono::microseconds>(*h.last_rtt).count();
      add_path_counters(p, kind_for(role), wireguard_paths);
      // Held to what path MTU probing found, where that is less.
      if (const auto& probed = probed_mtu_[static_cast<std::size_t>(role)])
        p["mtu"] = std::min(p["mtu"].get<std::size_t>(), *probed);
      p["mtu_probe"] = path_mtu_probe_json(role);
      if (h.last_answer) p["last_answer_ms_ago"] = ago_ms(*h.last_answer);
      paths.push_back(std::move(p));
    }
    j["paths"] = std::move(paths);
    if (const auto& s = c.last_switch()) {
      j["last_switch"] = {{"from", hybrid::path_kind_name(kind_for(s->from))},
                          {"to", hybrid::path_kind_name(kind_for(s->to))},
                          {"reason", s->reason},
                          {"silent_for_ms", to_millis(s->silent_for)},
                          {"ms_ago", ago_ms(s->at)}};
    }
    j["failovers"] = c.switches_to(hybrid::PathRole::kSecondary);
    j["failbacks"] = c.switches_to(hybrid::PathRole::kPrimary);
    j["secondary_active_ms"] = to_millis(c.time_active(hybrid::PathRole::kSecondary, now));
    j["gateway"] = config_.fallback->gateway.to_string();
    j["failback_hold_ms"] = to_millis(c.current_failback_hold());
    j["failback_hold_max_ms"] = to_millis(c.config().failback_hold_max);
    if (drill_until_ && *drill_until_ > now)
      j["drill_remaining_ms"] = to_millis(*drill_until_ - now);
    if (l2tp_address_) j["l2tp_address"] = l2tp_address_->to_string();
    if (!config_.policies.empty()) j["policy_routing"] = kernel_policy_json();
    if (!policy_.empty()) {
      nlohmann::json rules = nlohmann::json::array();
      for (std::size_t i = 0; i < policy_.rules().size(); ++i) {
        const hybrid::TrafficRule& r = policy_.rules()[i];
        const hybrid::TrafficRuleCounters& n = policy_.counters()[i];
        rules.push_back({{"name", r.name},
                         {"path", hybrid::path_kind_name(kind_for(r.path))},
                         {"on_down", r.fail_closed ? "drop" : "other"},
                         {"packets", n.packets},
                         {"rerouted", n.rerouted},
                         {"dropped", n.dropped}});
      }
      j["policy"] = std::move(rules);
    }
  } else {
    j["role"] = "gateway";
    nlohmann::json accounts = nlohmann::json::array();
    for (const auto& a : accounts_.accounts()) {
      nlohmann::json o{{"name", a.name}, {"disabled", a.disabled}};
      if (a.account_class) o["class"] = *a.account_class;
      if (a.ipv4) o["ipv4"] = a.ipv4->to_string();
      if (a.ipv6) o["ipv6"] = a.ipv6->to_string();
      nlohmann::json live = nlohmann::json::array();
      for (hybrid::PathId p : router_->paths_of(a.id))
        live.push_back(hybrid::path_kind_name(kind_of(p)));
      o["paths"] = std::move(live);
      if (auto r = router_->return_path(a.id))
        o["return_path"] = hybrid::path_kind_name(kind_of(*r));
      o["path_moves"] = router_->path_moves_of(a.id);
      o.update(account_probing[accounts.size()]);
      accounts.push_back(std::move(o));
    }
    j["accounts"] = std::move(accounts);
    nlohmann::json paths = nlohmann::json::array();
    std::vector<hybrid::PathKind> kinds{hybrid::PathKind::kWireguard};
    for (const auto& slot : control_) kinds.push_back(slot->kind);
    for (const hybrid::PathKind kind : kinds) {
      nlohmann::json p{{"path", hybrid::path_kind_name(kind)}};
      add_path_counters(p, kind, wireguard_paths);
      paths.push_back(std::move(p));
    }
    j["paths"] = std::move(paths);
    const auto& st = router_->stats();
    j["router"] = {{"delivered", st.delivered},     {"routed", st.routed},
                   {"probes", st.probes},           {"spoofed", st.spoofed},
                   {"no_account", st.no_account},   {"no_live_path", st.no_live_path},
                   {"disabled", st.disabled},       {"path_moves", st.path_moves},
                   {"flow_routed", st.flow_routed}, {"unknown_path", st.unknown_path}};
  }
  j["counters"] = {{"to_wireguard", counters_.to_wireguard},
                   {"to_secondary", counters_.to_control_path},
                   {"delivered", counters_.delivered},
                   {"probes_answered", counters_.probes_answered},
                   {"probe_replies", counters_.probe_replies},
                   {"dropped_no_route", counters_.dropped_no_route},
                   {"dropped_spoofed", counters_.dropped_spoofed},
                   {"dropped_queue_full", counters_.dropped_queue_full},
                   {"dropped_policy", counters_.dropped_policy},
                   {"too_big_icmp", counters_.too_big_icmp + wireguard_too_big.icmp},
                   {"fragmented", counters_.fragmented + wireguard_too_big.fragmented},
                   {"dropped_too_big", counters_.dropped_too_big + wireguard_too_big.dropped}};
  return j.dump() + "\n\n";
}

}  // namespace tandem::daemon
