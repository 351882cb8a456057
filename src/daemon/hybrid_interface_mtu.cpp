// The hybrid interface's path MTU probing (hybrid_interface.hpp): which paths the fallback probes,
// what a result does to the path and the device, and how it shows in status. PPP paths probe
// themselves with LCP echoes; WireGuard and an ESP tunnel are probed with padded health probes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "daemon/hybrid_interface.hpp"
#include "daemon/mtu_probe_status.hpp"
#include "io/system_clock.hpp"

namespace tandem::daemon {

void HybridInterface::start_mtu_probing() {
  const TimePoint now = io::SystemClock::now();
  fallback_->set_mtu_probing(hybrid::PathRole::kPrimary, wireguard_mtu_, now);
  if (!control_.empty() && secondary().kind == hybrid::PathKind::kIpsecTunnel)
    fallback_->set_mtu_probing(hybrid::PathRole::kSecondary, secondary().mtu, now);
  routes_.emplace(name());
}

void HybridInterface::follow_underlay_routes() {
  if (!routes_) return;
  // The far ends the probes measure the way to: the WireGuard peer's endpoint, and a site's one
  // ESP peer (an L2TP secondary watches its own route, as it probes itself).
  std::array<std::optional<IpAddress>, 2> far_ends;
  if (!config_.peers.empty())
    if (const auto ep = wg_->peer_endpoint(config_.peers.front().public_key))
      far_ends[static_cast<std::size_t>(hybrid::PathRole::kPrimary)] = ep->address;
  if (!control_.empty() && secondary().kind == hybrid::PathKind::kIpsecTunnel && secondary().path)
    far_ends[static_cast<std::size_t>(hybrid::PathRole::kSecondary)] =
        secondary().path->underlay_peer();
  routes_->begin_round();
  std::vector<hybrid::PathRole> moved;
  for (const auto role : {hybrid::PathRole::kPrimary, hybrid::PathRole::kSecondary}) {
    const auto& far_end = far_ends[static_cast<std::size_t>(role)];
    if (!far_end) continue;
    if (const auto route = routes_->moved(*far_end)) {
      spdlog::info("path {}: the underlay route to {} is now {}: path MTU probing searches again",
                   hybrid::path_kind_name(kind_for(role)), far_end->to_string(),
                   io::to_string(*route));
      moved.push_back(role);
    }
  }
  routes_->end_round();
  if (moved.empty()) return;
  const TimePoint now = io::SystemClock::now();
  std::lock_guard lock(mutex_);
  for (const auto role : moved) fallback_->restart_mtu_probing(role, now);
}

void HybridInterface::note_path_traffic() {
  // Data only, not the probes: an idle path must not look busy because it is being probed.
  const std::array<std::uint64_t, 2> sent{counters_.to_wireguard, counters_.to_control_path};
  for (const auto role : {hybrid::PathRole::kPrimary, hybrid::PathRole::kSecondary}) {
    const auto i = static_cast<std::size_t>(role);
    if (sent[i] == tx_packets_seen_[i]) continue;
    tx_packets_seen_[i] = sent[i];
    fallback_->note_traffic(role);
  }
}

void HybridInterface::apply_mtu_change(const hybrid::PathMtuChange& c) {
  const hybrid::PathKind kind = kind_for(c.role);
  const std::size_t configured =
      kind == hybrid::PathKind::kWireguard ? std::size_t{wireguard_mtu_} : secondary().mtu;
  const auto& change = c.change;
  report_mtu_change({"path " + std::string(hybrid::path_kind_name(kind)),
                     {{"path", hybrid::path_kind_name(kind)}},
                     change.before,
                     change.after,
                     configured,
                     change.black_hole});
  if (kind == hybrid::PathKind::kWireguard) {
    if (!config_.peers.empty())
      wg_->set_peer_probed_mtu(config_.peers.front().public_key, change.after);
  } else if (secondary().path) {
    secondary().path->set_probed_mtu(change.after);
  }
  std::optional<std::size_t> smallest;
  {
    std::lock_guard lock(mutex_);
    probed_mtu_[static_cast<std::size_t>(c.role)] = change.after;
    // What a host here may send at most: the smallest path that probing measured.
    for (const auto& probed : probed_mtu_)
      if (probed) smallest = std::min(smallest.value_or(*probed), *probed);
  }
  device_mtu_.follow(tun_, smallest, "the smallest path");
}

void HybridInterface::note_client_hold(const IpAddress& client, std::uint16_t held_mtu) {
  // No tunnel here is smaller than 1280 (IPv6's minimum, the search's base): a smaller word is
  // not a measurement, and would only starve the client's own traffic.
  if (held_mtu != 0 && held_mtu < 1280) held_mtu = 1280;
  const auto it = client_holds_.find(client);
  if (it != client_holds_.end() ? it->second == held_mtu : held_mtu == 0) return;
  client_holds_[client] = held_mtu;
  pending_client_holds_.emplace_back(client, held_mtu);
}

void HybridInterface::apply_client_holds() {
  std::vector<std::pair<IpAddress, std::uint16_t>> holds;
  {
    std::lock_guard lock(mutex_);
    holds.swap(pending_client_holds_);
  }
  // What the client found carries both ways, so what goes back to it is held to the same.
  for (const auto& [client, held] : holds) {
    // An account the gateway probes itself (ICMP echoes) is held to what its own probes find.
    const auto owner = accounts_.owner_of(client);
    const hybrid::Account* account = owner ? accounts_.find(*owner) : nullptr;
    if (account && probe_target_of(*account).target) continue;
    const std::optional<std::size_t> mtu =
        held == 0 ? std::nullopt : std::optional<std::size_t>(held);
    if (const auto peer = wg_->set_probed_mtu_for(client, mtu))
      spdlog::info("peer {} ({}): WireGuard held to {}, as its own path MTU probing found", *peer,
                   client.to_string(), mtu ? std::to_string(*mtu) : std::string("the device MTU"));
  }
}

AccountProbeTarget HybridInterface::probe_target_of(const hybrid::Account& account,
                                                    ProbedPath path) const {
  // Ids follow the config's order (the store's accounts are the config's too:
  // store/config_accounts.hpp).
  const std::optional<IpAddress> configured =
      account.id >= 1 && account.id <= config_.accounts.size()
          ? config_.accounts[account.id - 1].mtu_probe_target
          : std::nullopt;
  std::vector<IpAddress> own;
  for (const auto& a : config_.interface->addresses) own.push_back(a.address);
  return account_probe_target(account, configured, config_.account_pool.mtu_probing, own, path);
}

std::optional<RoadWarriorProbeTarget> HybridInterface::road_warrior_probe_target(
    const IpAddress& inner) {
  if (!gateway()) return std::nullopt;
  const auto owner = accounts_.owner_of(inner);
  const hybrid::Account* account = owner ? accounts_.find(*owner) : nullptr;
  if (!account) return std::nullopt;
  return RoadWarriorProbeTarget{account->name, probe_target_of(*account, ProbedPath::kIkev2),
                                std::chrono::seconds(config_.account_pool.mtu_probe_interval_s)};
}

void HybridInterface::set_account_probe_targets() {
  std::map<std::string, IpAddress> targets;
  for (const auto& account : accounts_.accounts()) {
    const AccountProbeTarget probe = probe_target_of(account);
    // Every key: the one in use holds the account's addresses, so the probes go to it.
    for (const auto& key : account.wireguard_keys)
      if (auto ok = wg_->set_mtu_probe_target(key, probe.target); !ok)
        spdlog::warn("account {}: path MTU probing: {}", account.name, ok.error());
    if (!probe.target) continue;
    targets.emplace(account.name, *probe.target);
    // Logged when it starts or moves, not at every change of the accounts (a store's come often).
    const auto before = probe_targets_.find(account.name);
    if (before == probe_targets_.end() || before->second != *probe.target)
      spdlog::info("account {}: WireGuard path MTU probing with ICMP echoes to {}", account.name,
                   probe.target->to_string());
  }
  for (const auto& [name, target] : probe_targets_)
    if (!targets.contains(name)) spdlog::info("account {}: WireGuard path MTU probing stops", name);
  probe_targets_ = std::move(targets);
  // The road warriors logged in now: each one's target (or its absence) afresh.
  if (ControlSlot* slot = control_slot(hybrid::PathKind::kIpsecTunnel); slot && slot->path)
    slot->path->refresh_probe_targets();
}

nlohmann::json HybridInterface::account_mtu_probe_json(const hybrid::Account& account) const {
  nlohmann::json j = wireguard_mtu_probe_json(account);
  // A road warrior logged in over IKEv2: its own probing, beside the WireGuard path's.
  const ControlSlot* slot = control_slot(hybrid::PathKind::kIpsecTunnel);
  if (slot && slot->path && account.ipv4)
    if (auto ikev2 = slot->path->session_mtu_status(*account.ipv4); !ikev2.is_null())
      j["ikev2_mtu"] = std::move(ikev2);
  return j;
}

nlohmann::json HybridInterface::wireguard_mtu_probe_json(const hybrid::Account& account) const {
  const AccountProbeTarget probe = probe_target_of(account);
  if (!probe.target) return {{"mtu_probe", mtu_probe_off_json(probe.off_reason)}};
  const auto prefixes = account.prefixes();
  const nlohmann::json peer =
      prefixes.empty() ? nlohmann::json() : wg_->peer_mtu_status_for(prefixes.front().address());
  if (peer.is_null())
    return {{"mtu_probe", mtu_probe_off_json("no WireGuard key of the account holds its address")}};
  return {{"mtu_probe", peer.value("mtu_probe", nlohmann::json())},
          {"wireguard_mtu", peer.value("mtu", std::size_t{0})},
          {"mtu_probe_target", probe.target->to_string()}};
}

nlohmann::json HybridInterface::path_mtu_probe_json(hybrid::PathRole role) const {
  const hybrid::MtuProber* prober = fallback_->mtu_prober(role);
  if (!prober) {
    std::string reason;
    if (!config_.fallback->mtu_probing)
      reason = "mtu_probing = false in [fallback]";
    else if (kind_for(role) == hybrid::PathKind::kL2tpIpsec)
      reason = "PPP probes this path itself with LCP echoes: see the L2TP status";
    else
      reason = "this path is not probed";
    return mtu_probe_off_json(reason);
  }
  return mtu_probe_json(*prober);
}

}  // namespace tandem::daemon
