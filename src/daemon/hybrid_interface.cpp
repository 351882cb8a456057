#include "daemon/hybrid_interface.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>

#include "base/packet.hpp"
#include "daemon/offloads.hpp"
#include "daemon/uapi_client.hpp"
#include "daemon/wireguard_setup.hpp"
#include "hybrid/probe.hpp"
#include "io/resolve.hpp"
#include "io/service_notify.hpp"
#include "io/system_clock.hpp"
#include "packet/ip_packet.hpp"
#include "store/config_accounts.hpp"

namespace tandem::daemon {
namespace {

// Packets queued for the control path between two turns of the control loop; beyond this they
// are dropped (the secondary path is slower than the device can be read).
constexpr std::size_t kControlQueue = 256;
// How long a client's WireGuard sender thread waits for room in that queue before it drops.
constexpr auto kControlQueueWait = std::chrono::milliseconds(50);
constexpr std::size_t kSlot = 2048;
constexpr std::size_t kMaxInjected = 256;

}  // namespace

Result<hybrid::AccountTable, std::string> account_table(
    const control::NodeConfig& config,
    const std::map<std::string, std::vector<IpAddress>>& remembered,
    const std::map<std::string, IpAddress, std::less<>>& assigned) {
  std::vector<hybrid::AccountSpec> specs;
  for (const auto& a : config.accounts) {
    hybrid::AccountSpec s;
    s.name = a.name;
    s.wireguard_keys = a.public_keys;
    if (a.password || a.nt_hash) s.ppp = ppp::LocalCredential{a.password, a.nt_hash};
    s.ipv4 = a.ipv4;
    // A backend's address holds the account as a fixed one would; a fixed one in the config or
    // the store always wins (assign_address refuses to give such an account another).
    if (const auto given = assigned.find(a.name);
        given != assigned.end() && (!a.ipv4 || a.ipv4_leased))
      s.ipv4 = given->second;
    s.ipv6 = a.ipv6;
    s.subnets = a.subnets;
    s.account_class = a.account_class;
    s.disabled = a.disabled;
    specs.push_back(std::move(s));
  }
  return hybrid::AccountTable::create(std::move(specs), store::address_plan(config), remembered);
}

control::IpsecConfig road_warrior_config(const control::NodeConfig& config,
                                         const hybrid::AccountTable& accounts) {
  control::IpsecConfig ipsec = *config.ipsec;
  ipsec.connections.clear();
  // With [dns], road warriors get the gateway's forwarder (its IPv4 listen addresses on port 53)
  // and, when they ask, the domains it routes (RFC 8598).
  if (config.dns) {
    for (const auto& listen : config.dns->listen)
      if (listen.address.is_v4() && listen.port == control::kDnsPort)
        ipsec.pool_dns.push_back(listen.address);
    for (const auto& route : config.dns->routes)
      ipsec.pool_dns_domains.insert(ipsec.pool_dns_domains.end(), route.domains.begin(),
                                    route.domains.end());
  }
  for (const auto& account : accounts.accounts()) {
    const control::AccountConfig& configured = config.accounts[account.id - 1];
    if (!configured.ike_psk || account.disabled || !account.ipv4) continue;
    control::IpsecConnection c;
    c.name = account.name;
    c.remote_id = *configured.ike_id;
    c.psk = *configured.ike_psk;
    // Whatever the road warrior asks to reach; it may send from its addresses and subnets alone.
    c.local_subnets = {*IpPrefix::parse("0.0.0.0/0")};
    if (account.ipv6) c.local_subnets.push_back(*IpPrefix::parse("::/0"));
    for (const auto& s : account.subnets)
      if (s.address().is_v4() || account.ipv6) c.remote_subnets.push_back(s);
    c.virtual_address = account.ipv4;
    c.virtual_address6 = account.ipv6;
    ipsec.connections.push_back(std::move(c));
  }
  return ipsec;
}

hybrid::FallbackConfig fallback_config(const control::FallbackSettings& s) {
  hybrid::FallbackConfig c;
  c.probe_interval = std::chrono::milliseconds(s.probe_interval_ms);
  c.down_after = std::chrono::milliseconds(s.down_after_ms);
  c.down_loss = s.down_loss_percent / 100.0;
  c.failback_hold = std::chrono::seconds(s.failback_hold_s);
  c.failback_hold_max = std::chrono::seconds(s.failback_hold_max_s);
  c.flap_window = std::chrono::seconds(s.stable_after_s);
  c.warm_secondary = s.warm_secondary;
  return c;
}

hybrid::PathRole HybridInterface::role_of(hybrid::PathKind kind) {
  return kind == hybrid::PathKind::kWireguard ? hybrid::PathRole::kPrimary
                                              : hybrid::PathRole::kSecondary;
}

hybrid::PathKind HybridInterface::kind_for(hybrid::PathRole role) const {
  if (role == hybrid::PathRole::kPrimary || control_.empty()) return hybrid::PathKind::kWireguard;
  return secondary().kind;
}

hybrid::PathId HybridInterface::path_id(hybrid::AccountId account, hybrid::PathKind kind) {
  return account * 4 + 1 + static_cast<hybrid::PathId>(kind);
}

hybrid::PathKind HybridInterface::kind_of(hybrid::PathId path) {
  return static_cast<hybrid::PathKind>((path - 1) % 4);
}

hybrid::AccountId HybridInterface::account_in(hybrid::PathId path) {
  return (path - 1) / 4;
}

Result<std::unique_ptr<HybridInterface>, std::string> HybridInterface::create(
    const control::NodeConfig& config) {
  if (!config.interface) return Err(std::string("a hybrid interface needs [interface]"));
  const auto& ic = *config.interface;
  hybrid::AccountTable accounts;
  if (config.gateway()) {
    auto table = account_table(config);
    if (!table) return Err("accounts: " + table.error());
    accounts = std::move(*table);
  }
  std::string why;
  const unsigned mtu = wireguard_device_mtu(config, &why);
  spdlog::info("{}: MTU {} ({})", ic.name, mtu, why);
  auto tun = open_offloaded_tun(ic.name, mtu);
  if (!tun) return Err("TUN device " + ic.name + ": " + tun.error());
  auto iface = std::unique_ptr<HybridInterface>(
      new HybridInterface(config, std::move(*tun), std::move(accounts)));

  iface->wireguard_mtu_ = mtu;
  iface->device_mtu_ = ProbedDeviceMtu(mtu);
  auto wg = WireguardInterface::create_path(iface->tun_, mtu, ic.listen_port, *iface);
  if (!wg) return Err("WireGuard path: " + wg.error());
  iface->wg_ = std::move(*wg);
  iface->loop_ = &iface->wg_->control_loop();
  if (auto ok = iface->configure_wireguard(); !ok) return Err(ok.error());

  if (auto ok = iface->add_control_paths(config); !ok) return Err(ok.error());

  if (config.fallback) {
    hybrid::FallbackPathConfig fc;
    fc.fallback = fallback_config(*config.fallback);
    fc.probe_target = config.fallback->gateway;
    bool found = false;
    for (const auto& a : ic.addresses)
      if (a.address.family() == fc.probe_target.family()) {
        fc.local_address = a.address;
        found = true;
        break;
      }
    if (!found)
      return Err("[fallback] gateway " + fc.probe_target.to_string() +
                 " needs an [interface] address of the same family to probe it from");
    fc.mtu_probe.search.raise_interval =
        std::chrono::seconds(config.fallback->mtu_probe_interval_s);
    iface->fallback_.emplace(fc, io::SystemClock::now());
    if (config.fallback->mtu_probing) iface->start_mtu_probing();
    if (config.policy_routing.kernel) {
      // The kernel picks the path by its rules; the secondary gets a device of its own.
      // As large as the path carries (an L2TP path sizes itself when [l2tp] names no mtu).
      const auto secondary_mtu = static_cast<unsigned>(iface->secondary().mtu);
      auto device = io::TunDevice::create(config.policy_routing.secondary_interface, secondary_mtu);
      if (!device)
        return Err("TUN device " + config.policy_routing.secondary_interface + ": " +
                   device.error());
      iface->secondary_tun_ = std::move(*device);
    } else {
      iface->policy_ = hybrid::TrafficPolicy(config.policies);
    }
  } else {
    std::vector<IpAddress> own;
    for (const auto& a : ic.addresses) own.push_back(a.address);
    iface->router_.emplace(iface->accounts_, std::move(own));
  }
  return iface;
}

Result<Ok, std::string> HybridInterface::add_control_paths(const control::NodeConfig& config) {
  HybridInterface* link = this;
  Endpoint server;
  if (config.l2tp && config.l2tp->role == control::L2tpRole::kLac) {
    auto ep = io::resolve_endpoint(config.l2tp->server_host, config.l2tp->server_port);
    if (!ep) return Err("L2TP server " + config.l2tp->server_host + ": " + ep.error());
    server = *ep;
  }
  const bool gateway = config.gateway();
  std::optional<control::IpsecConfig> ipsec;
  if (config.ipsec) ipsec = gateway ? road_warrior_config(config, accounts_) : *config.ipsec;
  // A gateway's L2TP/IPsec (IKEv1) and IKEv2 road warriors answer on the same UDP 500 and 4500.
  std::shared_ptr<IpsecEndpoint> shared;
  if (gateway && config.l2tp && config.l2tp->ipsec && ipsec) {
    auto endpoint = IpsecEndpoint::create(
        ipsec->local_address,
        {L2tpInterface::ike_engine(*config.l2tp, server), IpsecTunnelInterface::ike_engine(*ipsec)},
        !force_udp_encapsulation(*config.l2tp));
    if (!endpoint) return Err(endpoint.error());
    shared = std::move(*endpoint);
  }
  if (config.l2tp)
    control_.push_back(std::make_unique<ControlSlot>(
        hybrid::PathKind::kL2tpIpsec,
        [l2tp = *config.l2tp, server, link,
         shared]() -> Result<std::unique_ptr<ControlPath>, std::string> {
          auto path = L2tpInterface::create_path(l2tp, server, *link, shared);
          if (!path) return Err("L2TP/IPsec path: " + path.error());
          return std::unique_ptr<ControlPath>(std::move(*path));
        }));
  if (ipsec)
    control_.push_back(std::make_unique<ControlSlot>(
        hybrid::PathKind::kIpsecTunnel,
        [ipsec = *ipsec, link, shared]() -> Result<std::unique_ptr<ControlPath>, std::string> {
          auto path = IpsecTunnelInterface::create_path(ipsec, *link, shared);
          if (!path) return Err("IPsec path: " + path.error());
          return std::unique_ptr<ControlPath>(std::move(*path));
        }));
  for (auto& slot : control_) {
    // Built now, so that a socket that cannot be bound stops the start; an on-demand secondary
    // is then let go until the fallback dials it.
    auto path = slot->make();
    if (!path) return Err(path.error());
    slot->mtu = (*path)->inner_mtu();
    if (!config.fallback || config.fallback->warm_secondary) slot->path = std::move(*path);
  }
  return Ok{};
}

HybridInterface::ControlSlot::ControlSlot(
    hybrid::PathKind path_kind,
    std::function<Result<std::unique_ptr<ControlPath>, std::string>()> factory)
    : kind(path_kind),
      make(std::move(factory)),
      pending(kControlQueue, kSlot, ControlPath::kInnerHeadroom),
      draining(kControlQueue, kSlot, ControlPath::kInnerHeadroom) {}

HybridInterface::HybridInterface(const control::NodeConfig& config, io::TunDevice tun,
                                 hybrid::AccountTable accounts)
    : config_(config),
      tun_(std::move(tun)),
      accounts_(std::move(accounts)),
      secondary_read_(kControlQueue, kSlot, ControlPath::kInnerHeadroom),
      probe_batch_(8, kSlot, ControlPath::kInnerHeadroom),
      fragments_(kControlQueue, kSlot, ControlPath::kInnerHeadroom) {}

HybridInterface::~HybridInterface() {
  // The paths' threads call into this object: stop them before anything here goes.
  stop_kernel_policy();
  if (loop_ && fallback_timer_) loop_->remove_timer(fallback_timer_);
  for (auto& slot : control_) {
    slot->path.reset();
    // Its factory may hold a shared IPsec endpoint, which unregisters from the control loop
    // (WireGuard's) when it goes: that must happen before the loop goes. The slot itself stays
    // until WireGuard's threads are stopped, as they queue packets in it.
    slot->make = nullptr;
  }
  wg_.reset();
}

HybridInterface::ControlSlot* HybridInterface::control_slot(hybrid::PathKind kind) const {
  for (const auto& slot : control_)
    if (slot->kind == kind) return slot.get();
  return nullptr;
}

// The WireGuard peers: a gateway's are its accounts' keys with their prefixes as allowed IPs
// (cryptokey routing is then the source check); a client's is its one [[peer]], the gateway.
Result<Ok, std::string> HybridInterface::configure_wireguard() {
  std::vector<NamedPeer> accounts;
  for (const auto& account : accounts_.accounts()) {
    if (account.disabled) continue;
    // Ids follow the config's order.
    const control::AccountConfig& configured = config_.accounts[account.id - 1];
    for (const auto& key : account.wireguard_keys) {
      control::UapiPeerSet ps;
      ps.public_key = key;
      ps.preshared_key = configured.preshared_key;
      ps.replace_allowed_ips = true;
      ps.allowed_ips = account.prefixes();
      accounts.push_back({std::move(ps), account.name});
    }
  }
  if (auto ok = apply_peers(*wg_, config_, std::move(accounts)); !ok) return ok;
  settle_key_holders();
  if (config_.gateway()) {
    std::vector<IpAddress> own;
    for (const auto& a : config_.interface->addresses) own.push_back(a.address);
    // The accounts' flows share one table of retransmissions: room for thousands of them.
    wg_->configure_mtu_probing(std::move(own),
                               std::chrono::seconds(config_.account_pool.mtu_probe_interval_s),
                               hybrid::RetransmitWatch::kGatewayFlows);
    set_account_probe_targets();
  }
  return Ok{};
}

void HybridInterface::settle_key_holders() {
  // One key of each account holds its addresses in WireGuard (one owner per address): the one
  // that holds them now if it is still the account's, else its first key. The others of an
  // account with several keys (a rotation's overlap) take them over by completing a handshake.
  control::UapiSet give;
  std::vector<std::pair<const hybrid::Account*, wireguard::PublicKey>> holders;
  for (const auto& account : accounts_.accounts()) {
    if (account.disabled || account.wireguard_keys.empty()) continue;
    const auto prefixes = account.prefixes();
    if (prefixes.empty()) continue;
    const auto& keys = account.wireguard_keys;
    auto holder = wg_->key_for(prefixes.front().address());
    if (!holder || std::find(keys.begin(), keys.end(), *holder) == keys.end()) {
      holder = keys.front();
      control::UapiPeerSet ps;
      ps.public_key = *holder;
      ps.update_only = true;
      ps.replace_allowed_ips = true;
      ps.allowed_ips = prefixes;
      give.peers.push_back(std::move(ps));
    }
    holders.emplace_back(&account, *holder);
  }
  if (!give.peers.empty())
    if (int err = wg_->apply(give); err != 0)
      spdlog::error("accounts: WireGuard refused an account's addresses (errno {})", err);
  for (const auto& [account, holder] : holders) {
    const std::uint32_t group =
        account->wireguard_keys.size() > 1
            ? static_cast<std::uint32_t>(std::hash<std::string>{}(account->name)) | 1u
            : 0;
    for (const auto& key : account->wireguard_keys) wg_->set_key_group(key, group, key == holder);
  }
}

// Addresses and routes on the one device: a gateway's accounts live inside its subnet and their
// sites' subnets get routes; a client routes its peer's allowed IPs.
Result<Ok, std::string> HybridInterface::configure_system() {
  std::vector<IpPrefix> subnets;
  for (const auto& account : accounts_.accounts())
    subnets.insert(subnets.end(), account.subnets.begin(), account.subnets.end());
  return configure_device(tun_.index(), config_, subnets);
}

Result<Ok, std::string> HybridInterface::start() {
  if (auto ok = configure_system(); !ok) return ok;
  if (secondary_tun_)
    if (auto ok = start_kernel_policy(); !ok) return ok;
  for (auto& slot : control_)
    if (slot->path)
      if (auto ok = attach_control_path(*slot); !ok) return ok;
  if (fallback_) {
    auto timer = loop_->add_timer([this] { on_fallback_timer(); });
    if (!timer) return Err(timer.error());
    fallback_timer_ = *timer;
    loop_->arm_timer(fallback_timer_, io::SystemClock::now());
  }
  wg_->start();
  if (auto ok = wg_->serve_uapi(uapi_socket_path(kUapiSocketDir, name())); !ok)
    return Err("cannot serve UAPI: " + ok.error());
  if (gateway()) {
    std::string served;
    for (const auto& slot : control_)
      served +=
          slot->kind == hybrid::PathKind::kIpsecTunnel ? ", IKEv2 road warriors" : ", L2TP/IPsec";
    spdlog::info("hybrid gateway {}: {} accounts, WireGuard on UDP {}{}", name(),
                 accounts_.accounts().size(), config_.interface->listen_port, served);
  } else {
    const bool site = secondary().kind == hybrid::PathKind::kIpsecTunnel;
    spdlog::info("hybrid {} {}: WireGuard primary, {} secondary{}, probing {}",
                 site ? "site" : "client", name(), site ? "IPsec (ESP tunnel)" : "L2TP/IPsec",
                 on_demand() ? " dialled on demand" : " kept warm",
                 config_.fallback->gateway.to_string());
  }
  return Ok{};
}

Result<Ok, std::string> HybridInterface::run(const std::function<void()>& on_reload) {
  loop_->set_signal_handler([this, &on_reload](int sig) {
    if (sig == SIGHUP) {
      if (!stopping_) on_reload();
      return;
    }
    if (stopping_) return;
    stopping_ = true;
    io::notify_stopping();
    if (hanging_up_ || std::none_of(control_.begin(), control_.end(),
                                    [](const auto& slot) { return slot->path != nullptr; })) {
      spdlog::info("signal {}: shutting down", sig);
      loop_->stop();
      return;
    }
    hang_up_for_stop(sig, 0);
  });
  return wg_->run();
}

void HybridInterface::hang_up_for_stop(int sig, std::size_t next) {
  // One path after the other, so that a peer told goodbye by a finished one cannot come back
  // while a slower one (L2TP waits for its peers) is still hanging up; the loop stops after the
  // last.
  while (next < control_.size() && !control_[next]->path) ++next;
  if (next == control_.size()) {
    loop_->stop();
    return;
  }
  ControlSlot& slot = *control_[next];
  spdlog::info(
      "signal {}: hanging up {}", sig,
      slot.kind == hybrid::PathKind::kL2tpIpsec ? "every L2TP session" : "the IPsec tunnels");
  slot.path->shut_down([this, sig, next] { hang_up_for_stop(sig, next + 1); });
}

// ---- the data path ------------------------------------------------------------------------

void HybridInterface::wireguard_outbound(io::PacketBatch& batch) {
  bool queued = false;
  {
    std::unique_lock lock(mutex_);
    if (fallback_ && !policy_.empty()) {
      queued = route_by_policy(batch, lock);
    } else if (fallback_) {
      // A client sends everything on its active path: one decision per batch, and on WireGuard
      // (the usual case) the batch goes on untouched.
      if (fallback_->route() == hybrid::PathRole::kPrimary) {
        counters_.to_wireguard += batch.size();
        for (const Packet& p : batch) {
          count_sent(hybrid::PathKind::kWireguard, p.length);
          watch_for_retransmits(hybrid::PathRole::kPrimary, p.bytes());
        }
        return;
      }
      // The secondary is slower than the device can be read: rather than drop what does not fit
      // (each drop costs a TCP retransmit), this thread waits for the control thread to take
      // the queue, so the device's own queue slows the senders. Bounded, so that a stuck
      // control thread cannot stop the device being read.
      lock.unlock();
      loop_->wake();
      lock.lock();
      io::PacketBatch& pending = secondary().pending;
      control_room_.wait_for(lock, kControlQueueWait,
                             [&] { return pending.capacity() - pending.size() >= batch.size(); });
      for (const Packet& p : batch) queue_for_control_path(secondary().kind, p.bytes());
      queued = !batch.empty();
      batch.clear();
    } else {
      std::size_t kept = 0;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const hybrid::RouteDecision d = router_->route(batch[i].bytes());
        if (!d.path) {
          ++counters_.dropped_no_route;
        } else if (kind_of(*d.path) == hybrid::PathKind::kWireguard) {
          ++counters_.to_wireguard;
          count_sent(hybrid::PathKind::kWireguard, batch[i].length);
          if (kept != i) std::swap(batch[kept], batch[i]);
          ++kept;
        } else {
          queue_for_control_path(kind_of(*d.path), batch[i].bytes());
          queued = true;
        }
      }
      batch.resize(kept);
    }
  }
  if (queued) loop_->wake();
}

bool HybridInterface::path_usable(hybrid::PathRole role) const {
  const hybrid::PathHealth& h = fallback_->controller().health(role);
  return h.healthy && !h.forced_down;
}

bool HybridInterface::route_by_policy(io::PacketBatch& batch, std::unique_lock<std::mutex>& lock) {
  // Every packet by the rules: its class's path while that one is usable, else the other path
  // or (fail-closed) nowhere; packets no rule takes follow the fallback.
  const hybrid::PathRole active = fallback_->route();
  const bool primary = path_usable(hybrid::PathRole::kPrimary);
  const bool secondary_ok = path_usable(hybrid::PathRole::kSecondary);
  verdicts_.resize(batch.size());
  std::size_t to_secondary = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto d = policy_.decide(batch[i].bytes(), active, primary, secondary_ok);
    verdicts_[i] = d.path ? static_cast<std::uint8_t>(*d.path) : kDropVerdict;
    if (d.path == hybrid::PathRole::kSecondary) ++to_secondary;
  }
  if (to_secondary > 0) {
    // As for a whole batch on the secondary (wireguard_outbound): wait, bounded, for room.
    lock.unlock();
    loop_->wake();
    lock.lock();
    io::PacketBatch& pending = secondary().pending;
    control_room_.wait_for(lock, kControlQueueWait,
                           [&] { return pending.capacity() - pending.size() >= to_secondary; });
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (verdicts_[i] == static_cast<std::uint8_t>(hybrid::PathRole::kPrimary)) {
      ++counters_.to_wireguard;
      count_sent(hybrid::PathKind::kWireguard, batch[i].length);
      watch_for_retransmits(hybrid::PathRole::kPrimary, batch[i].bytes());
      if (kept != i) std::swap(batch[kept], batch[i]);
      ++kept;
    } else if (verdicts_[i] == kDropVerdict) {
      ++counters_.dropped_policy;
    } else {
      queue_for_control_path(secondary().kind, batch[i].bytes());
    }
  }
  batch.resize(kept);
  return to_secondary > 0;
}

void HybridInterface::queue_for_control_path(hybrid::PathKind kind, ByteView packet) {
  ControlSlot* slot = control_slot(kind);
  if (slot == nullptr || slot->pending.full()) {
    ++counters_.dropped_queue_full;
    return;
  }
  ++counters_.to_control_path;
  count_sent(kind, packet.size());
  if (fallback_) watch_for_retransmits(hybrid::PathRole::kSecondary, packet);
  slot->pending.push_back(packet);
}

void HybridInterface::watch_for_retransmits(hybrid::PathRole role, ByteView packet) {
  // Only where the fallback probes the path (an L2TP secondary watches its own sessions).
  if (!fallback_->mtu_prober(role)) return;
  if (retransmit_watch_[static_cast<std::size_t>(role)].on_outbound(packet))
    fallback_->note_large_retransmit(role, io::SystemClock::now());
}

std::size_t HybridInterface::control_queued() const {
  std::size_t n = 0;
  for (const auto& slot : control_) n += slot->pending.size();
  return n;
}

void HybridInterface::queue_for_wireguard(ByteView packet, bool mtu_probe) {
  if (pending_wireguard_.size() >= kMaxInjected) {
    ++counters_.dropped_queue_full;
    return;
  }
  pending_wireguard_.push_back({{packet.begin(), packet.end()}, mtu_probe});
}

void HybridInterface::wireguard_injected(io::PacketBatch& batch) {
  std::lock_guard lock(mutex_);
  std::size_t used = 0;
  for (; used < pending_wireguard_.size() && !batch.full(); ++used) {
    const InjectedPacket& injected = pending_wireguard_[used];
    batch.push_back(ByteView(injected.bytes)).mtu_probe = injected.mtu_probe;
    count_sent(hybrid::PathKind::kWireguard, injected.bytes.size());
  }
  pending_wireguard_.erase(pending_wireguard_.begin(),
                           pending_wireguard_.begin() + static_cast<std::ptrdiff_t>(used));
  if (!pending_wireguard_.empty()) wg_->wake_sender();  // the rest next turn
}

bool HybridInterface::accept_inbound(hybrid::PathKind kind, ByteView packet, TimePoint now) {
  auto& path_counters = counters_.paths[static_cast<std::size_t>(kind)];
  ++path_counters.rx_packets;
  path_counters.rx_bytes += packet.size();
  if (fallback_) {
    // Client or site: probe replies are the fallback's, another site's probes are answered;
    // everything else is ordinary traffic.
    switch (fallback_->on_inbound(role_of(kind), packet, now, fallback_out_)) {
      case hybrid::InboundKind::kProbeReply:
        ++counters_.probe_replies;
        return false;
      case hybrid::InboundKind::kProbeAnswered:
        ++counters_.probes_answered;
        return false;
      case hybrid::InboundKind::kDeliver:
        break;
    }
    ++counters_.delivered;
    return true;
  }
  // Gateway: the engine authenticated the packet and checked its source against the account
  // (WireGuard's allowed IPs, the PPP session's address), so its source names the account.
  const auto header = packet::parse_ip_header(packet);
  const auto account = !header ? std::nullopt
                       : header->family == IpAddress::Family::kV4
                           ? accounts_.owner_of_v4(header->source)
                           : accounts_.owner_of_v6(header->source);
  if (!account) {
    ++counters_.dropped_spoofed;
    return false;
  }
  const hybrid::PathId path = path_id(*account, kind);
  if (!router_->account_of(path) && !router_->attach(path, *account, now)) {
    ++counters_.dropped_spoofed;  // a disabled account
    return false;
  }
  switch (router_->on_inbound(path, packet, now)) {
    case hybrid::InboundVerdict::kDeliver:
      ++counters_.delivered;
      return true;
    case hybrid::InboundVerdict::kProbe: {
      // Answer on the path it came by, so the client learns about exactly that path; a path
      // MTU probe at its own size (and unpadded), so that the way back is measured too.
      const auto probe = hybrid::parse_probe(packet);
      std::array<std::byte, kMaxTunnelMtu> reply{};
      const std::size_t size =
          probe ? hybrid::build_probe_reply(reply, *probe, packet.size()) : std::size_t{0};
      if (size == 0) return false;
      ++counters_.probes_answered;
      if (kind == hybrid::PathKind::kWireguard)
        note_client_hold(probe->source, probe->message.held_mtu);
      const ByteView bytes(reply.data(), size);
      if (kind == hybrid::PathKind::kWireguard)
        queue_for_wireguard(bytes, (probe->message.flags & hybrid::kProbeFlagMtu) != 0);
      else
        queue_for_control_path(kind, bytes);
      return false;
    }
    case hybrid::InboundVerdict::kSpoofed:
      ++counters_.dropped_spoofed;
      return false;
    default:
      ++counters_.dropped_no_route;
      return false;
  }
}

void HybridInterface::inbound(hybrid::PathKind kind, io::PacketBatch& batch) {
  const TimePoint now = io::SystemClock::now();
  bool wake_sender = false, wake_control = false, events = false;
  {
    std::lock_guard lock(mutex_);
    const std::size_t injected = pending_wireguard_.size();
    const std::size_t queued = control_queued();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (accept_inbound(kind, batch[i].bytes(), now)) {
        if (kept != i) std::swap(batch[kept], batch[i]);
        ++kept;
      }
    batch.resize(kept);
    wake_sender = pending_wireguard_.size() > injected;
    wake_control = control_queued() > queued;
    // Fallback events to log, replies to another site's probes to send, or a client's hold.
    events = !fallback_out_.events.empty() || !fallback_out_.probes.empty() ||
             !pending_client_holds_.empty();
  }
  if (wake_sender) wg_->wake_sender();
  // A path came back up (probes answered): the control thread logs it and re-arms the timer.
  if (wake_control || events) loop_->wake();
}

void HybridInterface::inbound(hybrid::PathKind kind, std::span<const ByteView> packets) {
  const TimePoint now = io::SystemClock::now();
  deliver_.assign(packets.size(), false);
  bool wake_sender = false;
  {
    std::lock_guard lock(mutex_);
    const std::size_t injected = pending_wireguard_.size();
    for (std::size_t i = 0; i < packets.size(); ++i)
      deliver_[i] = accept_inbound(kind, packets[i], now);
    wake_sender = pending_wireguard_.size() > injected;
  }
  for (std::size_t i = 0; i < packets.size(); ++i)
    if (deliver_[i])
      if (auto ok = tun_.write(packets[i]); !ok) spdlog::debug("TUN write: {}", ok.error().text());
  if (wake_sender) wg_->wake_sender();
  // Replies queued for the control path (on_control_wake sends them) and fallback events.
  loop_->wake();
}

void HybridInterface::protocol_state(hybrid::PathKind kind, bool up, const std::string& detail,
                                     std::optional<IpAddress> address) {
  if (!fallback_) return;
  {
    std::lock_guard lock(mutex_);
    pending_states_.push_back({kind, up, detail, address});
  }
  loop_->wake();
}

bool HybridInterface::own_address(const IpAddress& address) const {
  for (const auto& a : config_.interface->addresses)
    if (a.address == address) return true;
  return false;
}

std::optional<HybridLogin> HybridInterface::l2tp_login(std::string_view user) {
  const hybrid::Account* a = accounts_.by_name(user);
  if (!a) return std::nullopt;
  HybridLogin login{a->name, a->ppp, a->ipv4, a->ipv6, {}, a->account_class};
  if (a->disabled)
    login.refusal = "disabled";
  else if (!a->ipv4)
    login.refusal = "has no IPv4 address, which L2TP/PPP needs";
  return login;
}

void HybridInterface::session_down(hybrid::PathKind kind, const IpAddress& address) {
  std::lock_guard lock(mutex_);
  if (!router_) return;
  if (auto account = accounts_.owner_of(address)) router_->detach(path_id(*account, kind));
}

}  // namespace tandem::daemon
