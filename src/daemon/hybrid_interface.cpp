#include "daemon/hybrid_interface.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <nlohmann/json.hpp>

#include "daemon/uapi_client.hpp"
#include "daemon/wireguard_setup.hpp"
#include "hybrid/probe.hpp"
#include "io/resolve.hpp"
#include "io/service_notify.hpp"
#include "io/system_clock.hpp"
#include "packet/icmp_too_big.hpp"
#include "packet/ip_packet.hpp"
#include "packet/ipv4_fragment.hpp"

namespace tandem::daemon {
namespace {

// Packets queued for the control path between two turns of the control loop; beyond this they
// are dropped (the secondary path is slower than the device can be read).
constexpr std::size_t kControlQueue = 256;
// How long a client's WireGuard sender thread waits for room in that queue before it drops.
constexpr auto kControlQueueWait = std::chrono::milliseconds(50);
constexpr std::size_t kSlot = 2048;
constexpr std::size_t kMaxInjected = 256;
constexpr auto kMaxDrill = std::chrono::hours(1);

hybrid::PathRole role_of(hybrid::PathKind kind) {
  return kind == hybrid::PathKind::kWireguard ? hybrid::PathRole::kPrimary
                                              : hybrid::PathRole::kSecondary;
}

std::int64_t millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

std::string hybrid_socket_path(std::string_view socket_dir, std::string_view interface_name) {
  return std::string(socket_dir) + "/" + std::string(interface_name) + ".hybrid";
}

Result<hybrid::AccountTable, std::string> account_table(
    const control::NodeConfig& config,
    const std::map<std::string, std::vector<IpAddress>>& remembered) {
  std::vector<hybrid::AccountSpec> specs;
  for (const auto& a : config.accounts) {
    hybrid::AccountSpec s;
    s.name = a.name;
    s.wireguard_keys = a.public_keys;
    if (a.password || a.nt_hash) s.ppp = ppp::LocalCredential{a.password, a.nt_hash};
    s.ipv4 = a.ipv4;
    s.ipv6 = a.ipv6;
    s.subnets = a.subnets;
    s.disabled = a.disabled;
    specs.push_back(std::move(s));
  }
  hybrid::AddressPlan plan;
  plan.v4_first = config.account_pool.v4_first;
  plan.v4_last = config.account_pool.v4_last;
  plan.v6_pool = config.account_pool.v6;
  if (config.interface)
    for (const auto& a : config.interface->addresses) plan.reserved.push_back(a.address);
  return hybrid::AccountTable::create(std::move(specs), plan, remembered);
}

control::IpsecConfig road_warrior_config(const control::NodeConfig& config,
                                         const hybrid::AccountTable& accounts) {
  control::IpsecConfig ipsec = *config.ipsec;
  ipsec.connections.clear();
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
  if (!config.accounts.empty()) {
    auto table = account_table(config);
    if (!table) return Err("accounts: " + table.error());
    accounts = std::move(*table);
  }
  auto tun = io::TunDevice::create(ic.name, ic.mtu);
  if (!tun) return Err("TUN device " + ic.name + ": " + tun.error());
  auto iface = std::unique_ptr<HybridInterface>(
      new HybridInterface(config, std::move(*tun), std::move(accounts)));

  auto wg = WireguardInterface::create_path(iface->tun_, ic.mtu, ic.listen_port, *iface);
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
    iface->fallback_.emplace(fc, io::SystemClock::now());
    iface->policy_ = hybrid::TrafficPolicy(config.policies);
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
  const bool gateway = !config.accounts.empty();
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
      probe_batch_(8, kSlot, ControlPath::kInnerHeadroom),
      fragments_(kControlQueue, kSlot, ControlPath::kInnerHeadroom) {}

HybridInterface::~HybridInterface() {
  // The paths' threads call into this object: stop them before anything here goes.
  socket_.reset();
  if (loop_ && fallback_timer_) loop_->remove_timer(fallback_timer_);
  for (auto& slot : control_) {
    slot->status.reset();
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
  return apply_peers(*wg_, config_, std::move(accounts));
}

// Addresses and routes on the one device: a gateway's accounts live inside its subnet and their
// sites' subnets get routes; a client routes its peer's allowed IPs.
Result<Ok, std::string> HybridInterface::configure_system() {
  std::vector<IpPrefix> subnets;
  for (const auto& account : accounts_.accounts())
    subnets.insert(subnets.end(), account.subnets.begin(), account.subnets.end());
  return configure_device(tun_.index(), config_, subnets);
}

Result<Ok, std::string> HybridInterface::start(std::string_view socket_dir) {
  if (auto ok = configure_system(); !ok) return ok;
  socket_dir_ = socket_dir;
  for (auto& slot : control_)
    if (slot->path)
      if (auto ok = attach_control_path(*slot); !ok) return ok;
  if (fallback_) {
    auto timer = loop_->add_timer([this] { on_fallback_timer(); });
    if (!timer) return Err(timer.error());
    fallback_timer_ = *timer;
    loop_->arm_timer(fallback_timer_, io::SystemClock::now());
  }
  auto server = io::UnixSocketServer::listen(
      *loop_, hybrid_socket_path(socket_dir, name()),
      [this](std::string_view request) { return handle_request(request); });
  if (!server) return Err(server.error());
  socket_ = std::move(*server);
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
        for (const Packet& p : batch) count_sent(hybrid::PathKind::kWireguard, p.length);
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
  slot->pending.push_back(packet);
}

std::size_t HybridInterface::control_queued() const {
  std::size_t n = 0;
  for (const auto& slot : control_) n += slot->pending.size();
  return n;
}

void HybridInterface::queue_for_wireguard(ByteView packet) {
  if (pending_wireguard_.size() >= kMaxInjected) {
    ++counters_.dropped_queue_full;
    return;
  }
  pending_wireguard_.emplace_back(packet.begin(), packet.end());
}

void HybridInterface::wireguard_injected(io::PacketBatch& batch) {
  std::lock_guard lock(mutex_);
  std::size_t used = 0;
  for (; used < pending_wireguard_.size() && !batch.full(); ++used) {
    batch.push_back(ByteView(pending_wireguard_[used]));
    count_sent(hybrid::PathKind::kWireguard, pending_wireguard_[used].size());
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
      // Answer on the path it came by, so the client learns about exactly that path.
      const auto probe = hybrid::parse_probe(packet);
      std::array<std::byte, 256> reply{};
      const std::size_t size =
          probe ? hybrid::build_probe_reply(reply, *probe, packet.size()) : std::size_t{0};
      if (size == 0) return false;
      ++counters_.probes_answered;
      const ByteView bytes(reply.data(), size);
      if (kind == hybrid::PathKind::kWireguard)
        queue_for_wireguard(bytes);
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
    // Fallback events to log, or replies to another site's probes to send.
    events = !fallback_out_.events.empty() || !fallback_out_.probes.empty();
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
  if (!a || !a->ppp) return std::nullopt;
  HybridLogin login{a->name, *a->ppp, a->ipv4, a->ipv6, {}};
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

// ---- the control thread -------------------------------------------------------------------

void HybridInterface::on_control_wake() {
  std::vector<StateChange> states;
  hybrid::FallbackPathOutput out;
  {
    std::lock_guard lock(mutex_);
    for (auto& slot : control_) {
      std::swap(slot->pending, slot->draining);
      slot->pending.clear();
    }
    control_room_.notify_all();
    states.swap(pending_states_);
    const TimePoint now = io::SystemClock::now();
    for (const auto& s : states) {
      std::string detail = s.detail;
      bool up = s.up;
      if (s.kind == hybrid::PathKind::kL2tpIpsec) l2tp_address_ = up ? s.address : std::nullopt;
      // The secondary keeps connections alive only with the same inner address as the primary:
      // a gateway that hands out another has no account tying the two together.
      if (up && s.address && !own_address(*s.address)) {
        up = false;
        detail = "the gateway gave this client " + s.address->to_string() +
                 " over L2TP, not its [interface] address: the gateway's account for this "
                 "user must have the same address as the WireGuard peer";
        spdlog::error("{}", detail);
      }
      if (fallback_) fallback_->on_protocol_state(role_of(s.kind), up, detail, now, fallback_out_);
    }
    if (fallback_) std::swap(out, fallback_out_);
  }
  if (retire_control_path_) {
    // Its goodbye is done (not inside one of its own calls any more): let it go.
    retire_control_path_ = false;
    hanging_up_ = false;
    secondary().status.reset();
    secondary().path.reset();
    if (redial_after_hang_up_) {
      redial_after_hang_up_ = false;
      (void)dial_control_path();
    }
  }
  for (auto& slot : control_) {
    if (slot->draining.empty()) continue;
    if (slot->path && !hanging_up_) {
      fit_to_path(*slot->path, slot->draining);
      slot->path->send_inner(slot->draining);
      if (!fragments_.empty()) slot->path->send_inner(fragments_);
    } else {
      std::lock_guard lock(mutex_);
      counters_.dropped_no_route += slot->draining.size();
    }
    slot->draining.clear();
  }
  if (fallback_) handle_fallback_output(out);
}

void HybridInterface::fit_to_path(ControlPath& path, io::PacketBatch& batch) {
  // The device's MTU is WireGuard's; another path may carry less. What does not fit is answered
  // from inside the tunnel (fragmentation needed, packet too big) so the sender's path MTU
  // follows, or, an IPv4 packet without DF, fragmented; never dropped silently.
  fragments_.clear();
  const std::size_t mtu = path.inner_mtu();
  std::uint64_t icmp = 0, fragmented = 0, dropped = 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const ByteView bytes = batch[i].bytes();
    const packet::TooBig verdict = packet::classify_for_mtu(bytes, mtu);
    if (verdict == packet::TooBig::kFits) {
      if (kept != i) std::swap(batch[kept], batch[i]);
      ++kept;
      continue;
    }
    if (verdict == packet::TooBig::kFragment && fragment_into(fragments_, bytes, mtu)) {
      ++fragmented;
      continue;
    }
    std::array<std::byte, packet::kIcmpv6ErrorMaxSize + 64> error{};
    const auto from = error_source_for(bytes);
    const std::size_t n =
        from ? packet::build_packet_too_big(error, bytes, mtu, *from) : std::size_t{0};
    if (n == 0) {
      ++dropped;
      continue;
    }
    if (auto ok = tun_.write(ByteView(error.data(), n)); !ok)
      spdlog::debug("TUN write: {}", ok.error().text());
    ++icmp;
  }
  batch.resize(kept);
  if (icmp + fragmented + dropped == 0) return;
  std::lock_guard lock(mutex_);
  counters_.too_big_icmp += icmp;
  counters_.fragmented += fragmented;
  counters_.dropped_too_big += dropped;
}

bool HybridInterface::fragment_into(io::PacketBatch& out, ByteView packet, std::size_t mtu) {
  // At most as many fragments as free slots; each fragment goes straight into one.
  std::array<MutableByteView, kMaxFragments> slots;
  std::array<std::size_t, kMaxFragments> lengths{};
  const std::size_t room = std::min(kMaxFragments, out.capacity() - out.size());
  const std::size_t first = out.size();
  for (std::size_t k = 0; k < room; ++k) slots[k] = out.push_back().room();
  const std::size_t n = packet::fragment_ipv4(packet, mtu, std::span(slots.data(), room),
                                              std::span(lengths.data(), room));
  for (std::size_t k = 0; k < n; ++k) out[first + k].length = lengths[k];
  out.resize(first + n);
  return n > 0;
}

std::optional<IpAddress> HybridInterface::error_source_for(ByteView packet) {
  // The error speaks for the tunnel the packet could not take, so it comes from the far end of
  // it: the packet's destination. An address of this node would not do: when the sender is this
  // host, the kernel drops an ICMP error from one of its own addresses as a martian.
  const auto header = packet::parse_ip_header(packet);
  if (!header) return std::nullopt;
  std::array<std::uint8_t, 16> b{};
  for (std::size_t i = 0; i < header->address_size(); ++i)
    b[i] = std::to_integer<std::uint8_t>(header->destination[i]);
  if (header->family == IpAddress::Family::kV4) return IpAddress::v4({b[0], b[1], b[2], b[3]});
  return IpAddress::v6(b);
}

void HybridInterface::on_fallback_timer() {
  hybrid::FallbackPathOutput out;
  {
    std::lock_guard lock(mutex_);
    fallback_->on_timer(io::SystemClock::now(), fallback_out_);
    std::swap(out, fallback_out_);
  }
  handle_fallback_output(out);
}

void HybridInterface::handle_fallback_output(hybrid::FallbackPathOutput& out) {
  bool wake_sender = false;
  io::PacketBatch& probes = probe_batch_;  // for the secondary
  probes.clear();
  for (const auto& probe : out.probes) {
    if (probe.role == hybrid::PathRole::kPrimary) {
      std::lock_guard lock(mutex_);
      queue_for_wireguard(ByteView(probe.packet));
      wake_sender = true;
    } else if (secondary().path && !hanging_up_ && !probes.full()) {
      probes.push_back(ByteView(probe.packet));
      std::lock_guard lock(mutex_);
      count_sent(secondary().kind, probe.packet.size());
    }
  }
  if (wake_sender) wg_->wake_sender();
  if (!probes.empty()) secondary().path->send_inner(probes);
  for (const auto& e : out.events) {
    log_fallback_event(e);
    if (e.type == hybrid::FallbackEventType::kDialSecondary) (void)dial_control_path();
    if (e.type == hybrid::FallbackEventType::kHangUpSecondary) hang_up_control_path();
  }
  rearm_fallback_timer();
}

Result<Ok, std::string> HybridInterface::dial_control_path() {
  if (hanging_up_) {
    redial_after_hang_up_ = true;  // once the old one has said goodbye
    return Ok{};
  }
  ControlSlot& slot = secondary();
  if (slot.path) return Ok{};
  auto path = slot.make();
  auto ok = path ? (slot.path = std::move(*path), attach_control_path(slot))
                 : Result<Ok, std::string>(Err(path.error()));
  if (!ok) spdlog::error("cannot dial the secondary: {}", ok.error());
  return ok;
}

Result<Ok, std::string> HybridInterface::attach_control_path(ControlSlot& slot) {
  const bool l2tp = slot.kind == hybrid::PathKind::kL2tpIpsec;
  if (auto ok = slot.path->attach(*loop_); !ok) {
    slot.path.reset();
    return Err(std::string(l2tp ? "L2TP/IPsec" : "IPsec") + " path: " + ok.error());
  }
  auto status = io::UnixSocketServer::listen(*loop_,
                                             l2tp ? l2tp_status_socket_path(socket_dir_, name())
                                                  : ipsec_status_socket_path(socket_dir_, name()),
                                             [&slot](std::string_view) {
                                               return slot.path ? slot.path->status_json()
                                                                : std::string("{}\n\n");
                                             });
  if (!status) return Err(status.error());
  slot.status = std::move(*status);
  return Ok{};
}

void HybridInterface::hang_up_control_path() {
  redial_after_hang_up_ = false;
  ControlSlot& slot = secondary();
  if (!slot.path || hanging_up_) return;
  hanging_up_ = true;
  slot.path->shut_down([this] {
    retire_control_path_ = true;
    loop_->wake();
  });
}

void HybridInterface::rearm_fallback_timer() {
  TimePoint next;
  {
    std::lock_guard lock(mutex_);
    next = fallback_->next_deadline();
  }
  loop_->arm_timer(fallback_timer_, next);
}

void HybridInterface::log_fallback_event(const hybrid::FallbackEvent& e) {
  using T = hybrid::FallbackEventType;
  const auto path = [this](hybrid::PathRole r) { return hybrid::path_kind_name(kind_for(r)); };
  switch (e.type) {
    case T::kSwitched:
      spdlog::warn("traffic moved from {} to {}: {} ({} silent for {} ms)", path(e.from),
                   path(e.to), e.reason, path(e.from), millis(e.silent_for));
      break;
    case T::kPathDown:
      spdlog::warn("path {} down: {}", path(e.to), e.reason);
      break;
    case T::kPathUp:
      spdlog::info("path {} up: {}", path(e.to), e.reason);
      break;
    case T::kDialSecondary:
      spdlog::warn("dialling {} on demand: {}", path(hybrid::PathRole::kSecondary), e.reason);
      break;
    case T::kHangUpSecondary:
      spdlog::info("hanging up {}, dialled on demand: {}", path(hybrid::PathRole::kSecondary),
                   e.reason);
      break;
  }
}

// ---- status and drills --------------------------------------------------------------------

std::string HybridInterface::handle_request(std::string_view request) {
  while (!request.empty() && (request.back() == '\n' || request.back() == ' '))
    request.remove_suffix(1);
  if (request.starts_with("drill ")) return drill(request.substr(6)) + "\n\n";
  return status_json();
}

std::string HybridInterface::drill(std::string_view seconds) {
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(seconds.data(), seconds.data() + seconds.size(), n);
  if (ec != std::errc() || end != seconds.data() + seconds.size() || n == 0 ||
      std::chrono::seconds(n) > kMaxDrill)
    return R"({"error":"drill needs a duration of 1 to 3600 seconds"})";
  if (!fallback_) return R"({"error":"drills need a client with [fallback]"})";
  hybrid::FallbackPathOutput out;
  {
    std::lock_guard lock(mutex_);
    const TimePoint now = io::SystemClock::now();
    drill_until_ = now + std::chrono::seconds(n);
    fallback_->force_down(hybrid::PathRole::kPrimary, *drill_until_, now, fallback_out_);
    std::swap(out, fallback_out_);
  }
  spdlog::warn("drill: WireGuard held down for {} s", n);
  handle_fallback_output(out);
  return R"({"drill":"started","seconds":)" + std::to_string(n) + "}";
}

void HybridInterface::add_path_counters(nlohmann::json& j, hybrid::PathKind kind) const {
  const auto& c = counters_.paths[static_cast<std::size_t>(kind)];
  const ControlSlot* slot = control_slot(kind);
  j["mtu"] = kind == hybrid::PathKind::kWireguard ? std::size_t{config_.interface->mtu}
             : slot && slot->path                 ? slot->path->inner_mtu()
                                                  : std::size_t{0};
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
  std::lock_guard lock(mutex_);
  const TimePoint now = io::SystemClock::now();
  const auto ago_ms = [&](TimePoint t) { return millis(now - t); };
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
      add_path_counters(p, kind_for(role));
      if (h.last_answer) p["last_answer_ms_ago"] = ago_ms(*h.last_answer);
      paths.push_back(std::move(p));
    }
    j["paths"] = std::move(paths);
    if (const auto& s = c.last_switch()) {
      j["last_switch"] = {{"from", hybrid::path_kind_name(kind_for(s->from))},
                          {"to", hybrid::path_kind_name(kind_for(s->to))},
                          {"reason", s->reason},
                          {"silent_for_ms", millis(s->silent_for)},
                          {"ms_ago", ago_ms(s->at)}};
    }
    j["gateway"] = config_.fallback->gateway.to_string();
    j["failback_hold_ms"] = millis(c.current_failback_hold());
    j["failback_hold_max_ms"] = millis(c.config().failback_hold_max);
    if (drill_until_ && *drill_until_ > now) j["drill_remaining_ms"] = millis(*drill_until_ - now);
    if (l2tp_address_) j["l2tp_address"] = l2tp_address_->to_string();
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
      if (a.ipv4) o["ipv4"] = a.ipv4->to_string();
      if (a.ipv6) o["ipv6"] = a.ipv6->to_string();
      nlohmann::json live = nlohmann::json::array();
      for (hybrid::PathId p : router_->paths_of(a.id))
        live.push_back(hybrid::path_kind_name(kind_of(p)));
      o["paths"] = std::move(live);
      if (auto r = router_->return_path(a.id))
        o["return_path"] = hybrid::path_kind_name(kind_of(*r));
      accounts.push_back(std::move(o));
    }
    j["accounts"] = std::move(accounts);
    nlohmann::json paths = nlohmann::json::array();
    std::vector<hybrid::PathKind> kinds{hybrid::PathKind::kWireguard};
    for (const auto& slot : control_) kinds.push_back(slot->kind);
    for (const hybrid::PathKind kind : kinds) {
      nlohmann::json p{{"path", hybrid::path_kind_name(kind)}};
      add_path_counters(p, kind);
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
                   {"too_big_icmp", counters_.too_big_icmp},
                   {"fragmented", counters_.fragmented},
                   {"dropped_too_big", counters_.dropped_too_big}};
  return j.dump() + "\n\n";
}

}  // namespace tandem::daemon
