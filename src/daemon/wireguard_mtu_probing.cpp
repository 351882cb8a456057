// WireguardMtuProbing (wireguard_mtu_probing.hpp): a prober per peer with a target, kept in step
// with the device, and what it finds applied to the peer.
#include "daemon/wireguard_mtu_probing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/echo_probes.hpp"
#include "daemon/mtu_probe_status.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::daemon {
namespace {

// IPv6's minimum MTU, which every path must carry (RFC 8200 section 5): where a search starts,
// as RFC 8899 section 5.1.2 suggests for BASE_PLPMTU; capped to the device MTU when smaller.
constexpr std::size_t kBaseMtu = 1280;
// How often a peer with a session is looked at, for data sent (which asks for the size in use to
// be confirmed: MtuProberSettings::confirm_interval), a session that expired, or a smaller
// underlay that ICMP reported.
constexpr Duration kLookInterval = std::chrono::seconds(2);

}  // namespace

WireguardMtuProbing::WireguardMtuProbing(Rng& rng, const PeerEventLog& names)
    : rng_(rng), names_(names) {}

void WireguardMtuProbing::configure(std::string interface_name, std::vector<IpAddress> sources,
                                    Duration raise_interval) {
  interface_name_ = std::move(interface_name);
  sources_ = std::move(sources);
  raise_interval_ = raise_interval;
}

template <typename PeerMap>
auto* WireguardMtuProbing::find_in(PeerMap& peers, const wireguard::PublicKey& key) {
  const auto it = peers.find(key);
  return it == peers.end() ? nullptr : &it->second;
}

Result<Ok, std::string> WireguardMtuProbing::set_target(wireguard::Device& device,
                                                        const wireguard::PublicKey& key,
                                                        const std::optional<IpAddress>& target) {
  PeerProbing* existing = find_in(peers_, key);
  if (existing && target && existing->target == *target) return Ok{};
  if (existing) {
    // What the old target's probes found no longer holds the peer.
    if (const auto id = device.find_peer(key)) device.set_probed_mtu(*id, std::nullopt);
    forget(*existing);
    peers_.erase(key);
    due_.erase(key);
  }
  if (!target) return Ok{};
  const auto source = std::find_if(sources_.begin(), sources_.end(), [&](const IpAddress& a) {
    return a.family() == target->family();
  });
  if (source == sources_.end())
    return Err("no " + std::string(target->is_v4() ? "IPv4" : "IPv6") +
               " address on the interface to send probes to " + target->to_string() + " from");
  if (!routes_) routes_.emplace(interface_name_);
  PeerProbing p;
  p.target = *target;
  p.source = *source;
  peers_.emplace(key, std::move(p));
  due_.set(key, TimePoint{});  // looked at in the next run
  return Ok{};
}

void WireguardMtuProbing::start(const wireguard::PublicKey& key, PeerProbing& p,
                                const wireguard::Device& device, const wireguard::Peer& peer) {
  forget(p);
  by_id_[peer.id] = key;
  hybrid::MtuProberSettings settings;
  settings.search.max_mtu = device.reported_mtu(peer);
  settings.search.base_mtu = std::min(kBaseMtu, settings.search.max_mtu);
  settings.search.raise_interval = raise_interval_;
  p.echo.emplace(settings, p.source, p.target, rng_);
  p.id = peer.id;
  p.endpoint = peer.endpoint;
  p.data_packets = peer.data_packets_sent;
  p.logged.reset();
}

void WireguardMtuProbing::forget(PeerProbing& p) {
  if (p.id != 0) by_id_.erase(p.id);
  p.echo.reset();
  p.id = 0;
}

void WireguardMtuProbing::track(PeerProbing& p, const wireguard::Peer& peer,
                                const wireguard::Device& device, TimePoint now) {
  hybrid::MtuProber& prober = p.echo->prober();
  prober.set_max_mtu(device.reported_mtu(peer), now);
  const wireguard::Keypair* session = peer.current.get();
  const bool live = session && session->can_send(now) && peer.endpoint;
  // Roamed: another path, searched again (set_live does that itself when it comes up).
  if (live && prober.live() && peer.endpoint != p.endpoint) prober.restart(now);
  p.endpoint = peer.endpoint;
  prober.set_live(live, now);
  if (peer.data_packets_sent != p.data_packets) {
    p.data_packets = peer.data_packets_sent;
    prober.note_traffic();
  }
}

void WireguardMtuProbing::follow_routes(TimePoint now) {
  routes_->begin_round();
  for (auto& [key, p] : peers_) {
    if (!p.echo || !p.endpoint || !p.echo->prober().live()) continue;
    const auto route = routes_->moved(p.endpoint->address);
    if (!route) continue;
    spdlog::info("{}: peer {}: the underlay route to {} is now {}: path MTU probing searches again",
                 interface_name_, names_.name_of(key), p.endpoint->address.to_string(),
                 io::to_string(*route));
    p.echo->prober().restart(now);
    schedule(key, p);
  }
  routes_->end_round();
}

void WireguardMtuProbing::apply_change(const wireguard::PublicKey& key, PeerProbing& p,
                                       wireguard::Device& device) {
  const hybrid::MtuProber& prober = p.echo->prober();
  const auto change = p.echo->prober().take_change();
  if (!change) return;
  device.set_probed_mtu(p.id, change->after);
  // A search raises what holds with each size confirmed; the log has its outcome, and every fall
  // at once.
  const auto state = prober.search().state();
  const bool settled = state == hybrid::PmtuSearch::State::kComplete ||
                       state == hybrid::PmtuSearch::State::kConfirming;
  const bool fell = change->after && p.logged && *change->after < *p.logged;
  if (!settled && !fell) return;
  if (change->after == p.logged) return;
  report_mtu_change({interface_name_ + ": peer " + names_.name_of(key),
                     {{"peer", names_.name_of(key)}},
                     p.logged,
                     change->after,
                     device.mtu(),
                     fell && change->black_hole});
  p.logged = change->after;
}

void WireguardMtuProbing::note_large_retransmit(const wireguard::Device& device, ByteView packet,
                                                TimePoint now) {
  const auto header = packet::parse_ip_header(packet);
  if (!header) return;
  const auto id = device.peer_for(IpAddress::from_bytes(header->destination, header->family));
  const wireguard::Peer* peer = id ? device.peer(*id) : nullptr;
  PeerProbing* p = peer ? find_in(peers_, peer->remote.public_key) : nullptr;
  if (p && p->echo && p->id == peer->id && p->echo->prober().on_large_retransmit(now))
    schedule(peer->remote.public_key, *p);
}

bool WireguardMtuProbing::take_reply(wireguard::Device& device, wireguard::PeerId id,
                                     ByteView packet, TimePoint now) {
  const auto key = by_id_.find(id);
  if (key == by_id_.end()) return false;
  PeerProbing* p = find_in(peers_, key->second);
  if (!p || !p->echo || p->id != id || !p->echo->take_reply(packet, now)) return false;
  apply_change(key->second, *p, device);
  schedule(key->second, *p);
  return true;
}

void WireguardMtuProbing::on_event(const wireguard::Device& device,
                                   const wireguard::DeviceEvent& event, TimePoint now) {
  using Kind = wireguard::DeviceEvent::Kind;
  if (event.kind != Kind::kHandshakeCompleted && event.kind != Kind::kEndpointChanged &&
      event.kind != Kind::kKeysZeroed)
    return;
  const wireguard::Peer* peer = event.peer ? device.peer(event.peer) : nullptr;
  if (peer && peers_.contains(peer->remote.public_key)) due_.set(peer->remote.public_key, now);
}

void WireguardMtuProbing::visit(Peers::value_type& entry, wireguard::Device& device, TimePoint now,
                                io::PacketBatch& probes) {
  const wireguard::PublicKey& key = entry.first;
  PeerProbing& p = entry.second;
  ++visits_;
  const auto id = device.find_peer(key);
  const wireguard::Peer* peer = id ? device.peer(*id) : nullptr;
  if (!peer) {  // removed: one added again with this key starts afresh at its handshake
    forget(p);
    return;
  }
  if (!p.echo || p.id != peer->id) start(key, p, device, *peer);
  track(p, *peer, device, now);
  p.next_look = now + kLookInterval;
  // Its route is remembered from its first look on, for follow_routes().
  if (routes_ && p.endpoint && p.echo->prober().live()) (void)routes_->moved(p.endpoint->address);
  append_echo_probes(*p.echo, now, wireguard::Device::kTailroom, probes, sizes_);
  apply_change(key, p, device);
}

void WireguardMtuProbing::schedule(const wireguard::PublicKey& key, const PeerProbing& p) {
  std::optional<TimePoint> next;
  if (p.echo && p.echo->prober().live()) {
    next = p.next_look;
    if (const auto due = p.echo->prober().next_deadline(); due && *due < *next) next = due;
  }
  due_.set(key, next);
}

void WireguardMtuProbing::run(wireguard::Device& device, TimePoint now, io::PacketBatch& probes) {
  if (routes_ && routes_->changed()) follow_routes(now);
  due_now_.clear();
  due_.take_due(now, due_now_);
  for (const auto& key : due_now_) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) continue;
    visit(*it, device, now, probes);
    schedule(key, it->second);
  }
}

std::optional<std::size_t> WireguardMtuProbing::client_device_mtu(
    const wireguard::Device& device) const {
  if (device.peer_count() != 1 || peers_.empty()) return std::nullopt;
  const wireguard::Peer* peer = device.peer(device.peer_ids().front());
  const PeerProbing* p = peer ? find_in(peers_, peer->remote.public_key) : nullptr;
  if (!p || !p->echo || p->id != peer->id) return std::nullopt;
  return peer->probed_mtu;
}

nlohmann::json WireguardMtuProbing::peer_status(const wireguard::Device& device,
                                                const wireguard::Peer& peer) const {
  const PeerProbing* p = find_in(peers_, peer.remote.public_key);
  const hybrid::MtuProber* prober = p && p->echo && p->id == peer.id ? &p->echo->prober() : nullptr;
  nlohmann::json status = {
      {"mtu", device.inner_mtu(peer)},
      {"configured_mtu", device.mtu()},
      {"mtu_probe", prober ? mtu_probe_json(*prober)
                    : p    ? mtu_probe_off_json("starting")
                           : mtu_probe_off_json("no mtu_probe_target for this peer")}};
  if (p) status["mtu_probe_target"] = p->target.to_string();
  return status;
}

}  // namespace tandem::daemon
