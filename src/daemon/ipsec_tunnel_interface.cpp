#include "daemon/ipsec_tunnel_interface.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "daemon/offloads.hpp"
#include "hybrid/mtu_budget.hpp"
#include "io/system_clock.hpp"
#include "packet/icmp_too_big.hpp"
#include "packet/ip_packet.hpp"
#include "packet/tcp_mss.hpp"

namespace tandem::daemon {
namespace {

constexpr std::size_t kBatch = 64;
constexpr std::size_t kSlot = 2048;
constexpr auto kRedialMax = std::chrono::seconds(60);

ipsec::ike::Selector selector_of(const IpPrefix& p) {
  return {p.address(), p.last(), 0, 0, 65535};
}

std::vector<std::byte> bytes_of(const std::string& s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

ipsec::ike::v2::Identity identity_of(const std::string& id) {
  if (id.rfind("ipv4:", 0) == 0)
    if (auto a = IpAddress::parse(id.substr(5))) return ipsec::ike::v2::Identity::ipv4(*a);
  if (id.rfind("rfc822:", 0) == 0) return {ipsec::ike::v2::kIdRfc822Addr, bytes_of(id.substr(7))};
  return ipsec::ike::v2::Identity::fqdn(id.rfind("fqdn:", 0) == 0 ? id.substr(5) : id);
}

}  // namespace

ipsec::ike::v1::Config ipsec_ikev1_config(const control::IpsecConfig& c) {
  ipsec::ike::v1::Config config;
  for (const auto& conn : c.connections) {
    ipsec::ike::v1::PeerConfig p;
    p.name = conn.name;
    p.address = conn.remote_address;
    p.psk = bytes_of(conn.psk);
    if (!conn.ike_proposals.empty()) p.phase1 = conn.ike_proposals;
    if (!conn.esp_proposals.empty()) p.phase2 = conn.esp_proposals;
    p.mode = ipsec::ike::EspMode::kTunnel;
    p.local_subnet = selector_of(conn.local_subnets.front());
    p.remote_subnet = selector_of(conn.remote_subnets.front());
    p.phase1_lifetime = std::chrono::seconds(c.ike_lifetime);
    p.phase2_lifetime = std::chrono::seconds(c.esp_lifetime);
    p.dpd_interval = std::chrono::seconds(c.dpd_interval);
    p.dpd_timeout = std::chrono::seconds(c.dpd_timeout);
    config.peers.push_back(std::move(p));
  }
  return config;
}

ipsec::ike::v2::Config ipsec_ikev2_config(const control::IpsecConfig& c) {
  ipsec::ike::v2::Config config;
  config.identity = identity_of(c.local_id);
  config.local_address = c.local_address;
  config.ike_lifetime = std::chrono::seconds(c.ike_lifetime);
  config.child_lifetime = std::chrono::seconds(c.esp_lifetime);
  config.liveness_interval = std::chrono::seconds(c.dpd_interval);
  config.force_udp_encapsulation = true;  // the data path is UDP
  if (c.pool_first)
    config.pool = ipsec::ike::v2::AddressPoolConfig{
        *c.pool_first, c.pool_last->v4_u32() - c.pool_first->v4_u32() + 1, c.pool_dns,
        c.pool_dns_domains};
  else if (!c.pool_dns.empty())  // a hybrid gateway: addresses from the accounts, DNS from [dns]
    config.pool = ipsec::ike::v2::AddressPoolConfig{IpAddress{}, 0, c.pool_dns, c.pool_dns_domains};
  for (const auto& conn : c.connections) {
    ipsec::ike::v2::PeerConfig p;
    p.name = conn.name;
    p.remote_address = conn.remote_address;
    p.remote_id = identity_of(conn.remote_id);
    p.psk = bytes_of(conn.psk);
    p.mode = ipsec::ike::EspMode::kTunnel;
    p.request_virtual_ip = conn.request_address;
    p.request_virtual_ip6 = conn.wants_ipv6_address();
    p.virtual_address = conn.virtual_address;
    p.virtual_address6 = conn.virtual_address6;
    for (const auto& s : conn.local_subnets) p.local_selectors.push_back(selector_of(s));
    for (const auto& s : conn.remote_subnets) p.remote_selectors.push_back(selector_of(s));
    config.peers.push_back(std::move(p));
  }
  return config;
}

Result<std::unique_ptr<IpsecTunnelInterface>, std::string> IpsecTunnelInterface::create(
    const control::IpsecConfig& config) {
  auto tun = open_offloaded_tun(config.interface, config.mtu);
  if (!tun) return Err("TUN device " + config.interface + ": " + tun.error());
  return assemble(config, std::move(*tun), nullptr, nullptr);
}

Result<std::unique_ptr<IpsecTunnelInterface>, std::string> IpsecTunnelInterface::create_path(
    const control::IpsecConfig& config, HybridLink& link,
    std::shared_ptr<IpsecEndpoint> shared_ipsec) {
  return assemble(config, std::nullopt, &link, std::move(shared_ipsec));
}

IpsecEndpoint::EngineFactory IpsecTunnelInterface::ike_engine(const control::IpsecConfig& config) {
  if (config.ike_version == 1)
    return [ike = ipsec_ikev1_config(config)](Rng& rng) {
      return ipsec::ike::make_ikev1_engine(ike, rng);
    };
  return [ike = ipsec_ikev2_config(config)](Rng& rng) {
    return ipsec::ike::make_ikev2_engine(ike, rng);
  };
}

Result<std::unique_ptr<IpsecTunnelInterface>, std::string> IpsecTunnelInterface::assemble(
    const control::IpsecConfig& config, std::optional<io::TunDevice> tun, HybridLink* link,
    std::shared_ptr<IpsecEndpoint> shared_ipsec) {
  std::shared_ptr<IpsecEndpoint> ipsec = std::move(shared_ipsec);
  if (!ipsec) {
    auto endpoint = IpsecEndpoint::create(config.local_address, {ike_engine(config)}, false);
    if (!endpoint) return Err(endpoint.error());
    ipsec = std::move(*endpoint);
  }
  auto nl = io::Netlink::open();
  if (!nl) return Err(nl.error());
  return std::unique_ptr<IpsecTunnelInterface>(
      new IpsecTunnelInterface(config, std::move(tun), link, std::move(ipsec), std::move(*nl)));
}

IpsecTunnelInterface::IpsecTunnelInterface(const control::IpsecConfig& config,
                                           std::optional<io::TunDevice> tun, HybridLink* link,
                                           std::shared_ptr<IpsecEndpoint> ipsec,
                                           io::Netlink netlink)
    : config_(config),
      tun_(std::move(tun)),
      link_(link),
      ipsec_(std::move(ipsec)),
      netlink_(std::move(netlink)),
      tun_batch_(kBatch, kSlot, io::PacketBatch::kDefaultHeadroom),
      fragments_(kBatch, kSlot, io::PacketBatch::kDefaultHeadroom),
      road_warriors_(config.interface, rng_),
      probe_batch_(kBatch, kSlot, io::PacketBatch::kDefaultHeadroom) {
  static_assert(hybrid::IpsecStack::kHeadroom <= io::PacketBatch::kDefaultHeadroom);
  static_assert(hybrid::IpsecStack::kHeadroom <= kInnerHeadroom);
}

IpsecTunnelInterface::~IpsecTunnelInterface() {
  if (!loop_) return;
  if (login_gate_) ipsec_->set_login_gate(2, nullptr);
  ipsec_->detach(config_.ike_version);
  if (tun_) loop_->unwatch(tun_->fd());
  loop_->remove_timer(redial_timer_);
  if (probe_timer_ != 0) loop_->remove_timer(probe_timer_);
  if (routes_ && routes_->fd() >= 0) loop_->unwatch(routes_->fd());
}

Result<Ok, std::string> IpsecTunnelInterface::configure_device() {
  const int ifindex = tun_->index();
  for (const auto& a : config_.addresses)
    if (auto ok = netlink_.add_address(ifindex, a); !ok)
      return Err("address " + a.to_string() + ": " + ok.error());
  if (auto ok = netlink_.set_link_up(ifindex); !ok) return Err(ok.error());
  return add_routes();
}

Result<Ok, std::string> IpsecTunnelInterface::add_routes() {
  for (const auto& conn : config_.connections)
    for (const auto& prefix : conn.remote_subnets)
      if (auto ok =
              netlink_.add_route(io::Route{prefix, tun_->index(), std::nullopt, std::nullopt});
          !ok && ok.error().find("exists") == std::string::npos)
        return Err("route " + prefix.to_string() + ": " + ok.error());
  return Ok{};
}

Result<Ok, std::string> IpsecTunnelInterface::attach(io::EventLoop& loop) {
  if (tun_)
    if (auto ok = configure_device(); !ok) return ok;
  loop_ = &loop;
  auto timer = loop.add_timer([this] { dial(); });
  if (!timer) return Err(timer.error());
  redial_timer_ = *timer;
  if (link_) {
    auto probes = loop.add_timer([this] { run_road_warrior_probes(); });
    if (!probes) return Err(probes.error());
    probe_timer_ = *probes;
    road_warriors_.set_max_mtu_source(
        [this](const IpAddress& underlay) { return limit_towards(underlay, true); });
  }
  if (tun_)
    if (auto ok = loop.watch_readable(tun_->fd(), [this] { on_tun_readable(); }); !ok)
      return Err(ok.error());
  IpsecEndpoint::Handlers h;
  h.on_tunnel = [this](std::span<const ByteView> packets) {
    // SYNs coming out of the tunnel are clamped as those going in (send_inner); the packets
    // were opened in place in the endpoint's receive slots.
    const std::size_t clamp = probed_limit();
    if (!road_warriors_.empty()) packets = take_probe_replies(packets);
    for (const ByteView p : packets)
      packet::clamp_tcp_mss_to_mtu(writable_in_place(p),
                                   std::min(clamp, road_warrior_limit(p, false).value_or(clamp)));
    if (link_) {
      link_->inbound(hybrid::PathKind::kIpsecTunnel, packets);
      return;
    }
    for (const ByteView p : packets)
      if (auto ok = tun_->write(p); !ok) spdlog::debug("TUN write: {}", ok.error().text());
  };
  h.on_event = [this](const ipsec::ike::Event& e) { on_ike_event(e); };
  h.on_child = [this](const hybrid::ChildSaChange& c) { on_child(c); };
  if (auto ok = ipsec_->attach(loop, config_.ike_version, std::move(h)); !ok)
    return Err(ok.error());
  if (config_.ike_version == 2 && config_.login_throttle.enabled) {
    login_gate_ = std::make_unique<IkeLoginThrottle>(config_.login_throttle);
    ipsec_->set_login_gate(2, login_gate_.get());
  }
  spdlog::info("IPsec tunnels {} (IKEv{}, ESP tunnel mode in UDP 4500), {} connection(s)",
               link_ ? "as a path of " + name() : "on " + name(), config_.ike_version,
               config_.connections.size());
  dial();
  return Ok{};
}

void IpsecTunnelInterface::send_inner(io::PacketBatch& batch) {
  const std::size_t clamp = probed_limit();
  const bool road_warriors = !road_warriors_.empty();
  for (const Packet& p : batch) {
    std::size_t limit = clamp;
    const auto header = road_warriors ? packet::parse_ip_header(p.bytes()) : std::nullopt;
    if (header) {
      // Data to a road warrior: its size in use is confirmed while it flows.
      const auto to = IpAddress::from_bytes(header->destination, header->family);
      limit = std::min(limit, road_warriors_.held_mtu(to).value_or(limit));
      road_warriors_.note_traffic(to);
    }
    packet::clamp_tcp_mss_to_mtu(p.bytes(), limit);
  }
  if (road_warriors) rearm_probe_timer();
  if (!ipsec_->underlay_mtus().empty() || probed_mtu_ || road_warriors) hold_to_underlay(batch);
  ipsec_->send_tunnel_batch(batch);
  if (fragments_.empty()) return;
  // The fragments of packets too big for the underlay: each fits it.
  ipsec_->send_tunnel_batch(fragments_);
  fragments_.clear();
}

void IpsecTunnelInterface::hold_to_underlay(io::PacketBatch& batch) {
  // Some peer's underlay is known to be smaller than the device allows: each packet for it is
  // held to what an ESP tunnel datagram carries over that path (the costlier suite's budget).
  OversizeTally tally;
  std::size_t kept = 0;
  io::TunDevice* device = tun_ ? &*tun_ : link_ ? &link_->device() : nullptr;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const ByteView inner = batch[i].bytes();
    const auto peer = ipsec_->tunnel_peer(inner);
    const bool probe = batch[i].mtu_probe;
    std::size_t limit = peer ? limit_towards(*peer, probe) : probe ? config_.mtu : probed_limit();
    if (!probe) limit = std::min(limit, road_warrior_limit(inner, true).value_or(limit));
    if (packet::classify_for_mtu(inner, limit) == packet::TooBig::kFits) {
      if (kept != i) std::swap(batch[kept], batch[i]);
      ++kept;
      continue;
    }
    if (device) handle_oversize_packet(inner, limit, *device, fragments_, tally);
  }
  batch.resize(kept);
  too_big_.add(tally);
}

void IpsecTunnelInterface::dial() {
  if (stopping_) return;
  const auto sas = ipsec_->stack().engine(config_.ike_version)->summaries();
  for (const auto& conn : config_.connections) {
    if (!conn.start) continue;
    bool covered = false;
    for (const auto& sa : sas) covered = covered || sa.peer == conn.name;
    if (covered) continue;
    spdlog::info("IPsec: dialling {} at {}", conn.name, conn.remote_address->to_string());
    if (auto h = ipsec_->initiate(config_.ike_version, conn.name, *conn.remote_address); !h)
      spdlog::error("IPsec: cannot start IKE with {}: {}", conn.name, h.error());
  }
}

void IpsecTunnelInterface::on_ike_event(const ipsec::ike::Event& e) {
  using ipsec::ike::EventType;
  if (stopping_) return;
  if (e.type == EventType::kIkeSaUp) redial_wait_ = std::chrono::seconds(1);
  if (e.type != EventType::kIkeSaDown && e.type != EventType::kDeadPeer &&
      e.type != EventType::kRetransmitGaveUp && e.type != EventType::kRefused)
    return;
  // dial() skips connections whose IKE SA stands or is being negotiated.
  loop_->arm_timer(redial_timer_, io::SystemClock::now() + redial_wait_);
  redial_wait_ = std::min<Duration>(redial_wait_ * 2, kRedialMax);
}

void IpsecTunnelInterface::on_child(const hybrid::ChildSaChange& c) {
  if (link_) {
    session_change(c);
    // A rekey installs the new SA before the old one goes: the path is up while any stands.
    const bool was_up = !outbound_children_.empty();
    if (c.up)
      outbound_children_.insert(c.inbound_spi);
    else
      outbound_children_.erase(c.inbound_spi);
    const bool up = !outbound_children_.empty();
    if (up != was_up)
      link_->protocol_state(hybrid::PathKind::kIpsecTunnel, up,
                            up ? "ESP tunnel up with " + c.peer.to_string()
                               : "ESP tunnel with " + c.peer.to_string() + " gone");
    return;
  }
  // The addresses the peer gave us (IKEv2 configuration payload: IPv4, perhaps IPv6) are our
  // side of the SA: single-host selectors when a connection asked for them. Each goes on the
  // device while an SA uses it, so that this host's traffic to the remote subnets leaves from it.
  bool asked = false;
  for (const auto& conn : config_.connections) asked = asked || conn.request_address;
  if (!asked) return;
  for (const auto& selector : c.local)
    if (selector.start == selector.end) use_given_address(selector.start, c.up);
}

void IpsecTunnelInterface::use_given_address(const IpAddress& given, bool up) {
  const InterfaceAddress address{given, given.is_v4() ? 32u : 128u};
  const int ifindex = tun_->index();
  if (up) {
    if (virtual_addresses_[address.address]++ > 0) return;
    if (auto ok = netlink_.add_address(ifindex, address);
        !ok && ok.error().find("exists") == std::string::npos)
      spdlog::error("cannot add the address {} the peer gave: {}", address.to_string(), ok.error());
    else
      spdlog::info("IPsec: using the address {} the peer gave us", address.address.to_string());
    // The kernel drops a device's routes of a family with its last address of that family (the
    // peer deleted the SA earlier): put them back.
    if (auto ok = add_routes(); !ok) spdlog::error("IPsec: {}", ok.error());
    return;
  }
  auto it = virtual_addresses_.find(address.address);
  if (it == virtual_addresses_.end() || --it->second > 0) return;
  virtual_addresses_.erase(it);
  if (auto ok = netlink_.delete_address(ifindex, address); !ok)
    spdlog::debug("remove address {}: {}", address.to_string(), ok.error());
}

void IpsecTunnelInterface::session_change(const hybrid::ChildSaChange& c) {
  // A road warrior's Child SA has its one inner address as the remote selector (and perhaps its
  // subnets after it); once the last SA with that address goes, so does its session.
  if (c.remote.empty() || c.remote[0].start != c.remote[0].end) return;
  const IpAddress address = c.remote[0].start;
  if (c.up) {
    if (++remote_hosts_[address] == 1) probe_road_warrior(c);
    return;
  }
  auto it = remote_hosts_.find(address);
  if (it == remote_hosts_.end() || --it->second > 0) return;
  remote_hosts_.erase(it);
  road_warriors_.down(address);
  rearm_probe_timer();
  link_->session_down(hybrid::PathKind::kIpsecTunnel, address);
}

void IpsecTunnelInterface::on_tun_readable() {
  auto read = drain_tun(*tun_, tun_batch_, [this](io::PacketBatch& b) { send_inner(b); });
  if (read) return;
  spdlog::error("TUN device gone ({}): shutting down", read.error().text());
  loop_->unwatch(tun_->fd());
  loop_->stop();
}

void IpsecTunnelInterface::shut_down() {
  stopping_ = true;
  ipsec_->close_all(config_.ike_version);
}

void IpsecTunnelInterface::shut_down(std::function<void()> on_done) {
  // The deletes leave at once (close_all sends them); nothing is waited for.
  shut_down();
  on_done();
}

bool IpsecTunnelInterface::replace_connections(const control::IpsecConfig& config) {
  if (config_.ike_version != 2) return false;
  // First, so that the SAs closed below are of connections no longer listed.
  const auto before = std::exchange(config_.connections, config.connections);
  if (ipsec_->replace_peers(config_.ike_version, ipsec_ikev2_config(config))) return true;
  config_.connections = before;
  return false;
}

std::size_t IpsecTunnelInterface::probed_limit() const {
  return std::min<std::size_t>(config_.mtu, probed_mtu_.value_or(config_.mtu));
}

std::size_t IpsecTunnelInterface::limit_towards(const IpAddress& peer, bool mtu_probe) const {
  // Probing measures a site's one tunnel, whatever peer address it names; a probe itself is held
  // only to what ICMP said (it is what tests a larger size).
  const std::size_t limit = mtu_probe ? std::size_t{config_.mtu} : probed_limit();
  const auto path_mtu = ipsec_->underlay_mtu(peer);
  if (!path_mtu) return limit;
  return std::min<std::size_t>(
      limit, hybrid::costliest_esp_inner_mtu(hybrid::StackKind::kIpsecTunnel, *path_mtu));
}

std::optional<IpAddress> IpsecTunnelInterface::underlay_peer() const {
  if (config_.connections.size() != 1) return std::nullopt;
  return config_.connections.front().remote_address;
}

std::size_t IpsecTunnelInterface::inner_mtu() const {
  // One connection to one address (a site's secondary): a smaller underlay towards it is the
  // whole path's MTU.
  if (config_.connections.size() == 1 && config_.connections.front().remote_address)
    return limit_towards(*config_.connections.front().remote_address);
  return probed_limit();
}

std::string IpsecTunnelInterface::status_json() const {
  nlohmann::json j;
  j["interface"] = name();
  j["kind"] = "ipsec";
  j["ipsec"] = ipsec_->status_json(config_.ike_version);
  nlohmann::json conns = nlohmann::json::array();
  for (const auto& c : config_.connections) {
    nlohmann::json local = nlohmann::json::array(), remote = nlohmann::json::array();
    for (const auto& p : c.local_subnets) local.push_back(p.to_string());
    for (const auto& p : c.remote_subnets) remote.push_back(p.to_string());
    conns.push_back({{"name", c.name},
                     {"remote_address", c.remote_address ? c.remote_address->to_string() : ""},
                     {"local_subnets", local},
                     {"remote_subnets", remote},
                     {"start", c.start}});
  }
  j["connections"] = std::move(conns);
  j["mtu"] = inner_mtu();
  if (tun_) j["device"] = tun_offloads_json(*tun_);
  if (login_gate_) j["login_throttle"] = login_gate_->status_json(io::SystemClock::now());
  j["too_big"] = too_big_json(too_big_);
  return j.dump() + "\n\n";
}

}  // namespace tandem::daemon
