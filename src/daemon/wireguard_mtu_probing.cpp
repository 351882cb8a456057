// WireguardMtuProbing (wireguard_mtu_probing.hpp): a prober per peer with a target, kept in step
// with the device, and what it finds applied to the peer.
#include "daemon/wireguard_mtu_probing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/mtu_probe_status.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::daemon {
namespace {

// IPv6's minimum MTU, which every path must carry (RFC 8200 section 5): where a search starts,
// as RFC 8899 section 5.1.2 suggests for BASE_PLPMTU; capped to the device MTU when smaller.
constexpr std::size_t kBaseMtu = 1280;

}  // namespace

WireguardMtuProbing::WireguardMtuProbing(Rng& rng, const PeerEventLog& names)
    : rng_(rng), names_(names) {}

void WireguardMtuProbing::configure(std::string interface_name, std::vector<IpAddress> sources,
                                    Duration raise_interval) {
  interface_name_ = std::move(interface_name);
  sources_ = std::move(sources);
  raise_interval_ = raise_interval;
}

template <typename Peers>
auto* WireguardMtuProbing::find_in(Peers& peers, const wireguard::PublicKey& key) {
  const auto it =
      std::find_if(peers.begin(), peers.end(), [&](const auto& p) { return p.key == key; });
  return it == peers.end() ? nullptr : &*it;
}

Result<Ok, std::string> WireguardMtuProbing::set_target(wireguard::Device& device,
                                                        const wireguard::PublicKey& key,
                                                        const std::optional<IpAddress>& target) {
  PeerProbing* existing = find_in(peers_, key);
  if (existing && target && existing->target == *target) return Ok{};
  if (existing) {
    // What the old target's probes found no longer holds the peer.
    if (const auto id = device.find_peer(key)) device.set_probed_mtu(*id, std::nullopt);
    std::erase_if(peers_, [&](const PeerProbing& p) { return p.key == key; });
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
  p.key = key;
  p.target = *target;
  p.source = *source;
  peers_.push_back(std::move(p));
  return Ok{};
}

void WireguardMtuProbing::start(PeerProbing& p, const wireguard::Device& device,
                                const wireguard::Peer& peer) {
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

void WireguardMtuProbing::follow_route(PeerProbing& p, TimePoint now) {
  hybrid::MtuProber& prober = p.echo->prober();
  if (!routes_ || !p.endpoint || !prober.live()) return;
  const auto route = routes_->moved(p.endpoint->address);
  if (!route) return;
  spdlog::info("{}: peer {}: the underlay route to {} is now {}: path MTU probing searches again",
               interface_name_, names_.name_of(p.key), p.endpoint->address.to_string(),
               io::to_string(*route));
  prober.restart(now);
}

void WireguardMtuProbing::send_due(PeerProbing& p, TimePoint now, io::PacketBatch& probes) {
  due_.clear();
  p.echo->prober().poll(now, due_);
  for (const auto& probe : due_) {
    if (probes.full()) break;  // the rest count as unanswered and go again
    Packet& packet = probes.push_back();
    const MutableByteView room = packet.room();
    const std::size_t built = p.echo->build(
        probe, room.first(room.size() - std::min(room.size(), wireguard::Device::kTailroom)));
    if (built == 0) {
      probes.resize(probes.size() - 1);
      continue;
    }
    packet.length = built;
    packet.mtu_probe = true;
  }
}

void WireguardMtuProbing::apply_change(PeerProbing& p, wireguard::Device& device) {
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
  report_mtu_change({interface_name_ + ": peer " + names_.name_of(p.key),
                     {{"peer", names_.name_of(p.key)}},
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
  if (p && p->echo && p->id == peer->id) p->echo->prober().on_large_retransmit(now);
}

bool WireguardMtuProbing::take_reply(wireguard::Device& device, wireguard::PeerId id,
                                     ByteView packet, TimePoint now) {
  for (PeerProbing& p : peers_) {
    if (p.id != id || !p.echo) continue;
    if (!p.echo->take_reply(packet, now)) return false;
    apply_change(p, device);
    return true;
  }
  return false;
}

void WireguardMtuProbing::run(wireguard::Device& device, TimePoint now, io::PacketBatch& probes) {
  if (routes_) routes_->begin_round();
  for (PeerProbing& p : peers_) {
    const auto id = device.find_peer(p.key);
    const wireguard::Peer* peer = id ? device.peer(*id) : nullptr;
    if (!peer) {  // removed: one added again with this key starts afresh
      p.echo.reset();
      p.id = 0;
      continue;
    }
    if (!p.echo || p.id != peer->id) start(p, device, *peer);
    track(p, *peer, device, now);
    follow_route(p, now);
    send_due(p, now, probes);
    apply_change(p, device);
  }
  if (routes_) routes_->end_round();
}

std::optional<TimePoint> WireguardMtuProbing::next_deadline() const {
  std::optional<TimePoint> next;
  for (const PeerProbing& p : peers_) {
    const auto due = p.echo ? p.echo->prober().next_deadline() : std::nullopt;
    if (due && (!next || *due < *next)) next = due;
  }
  return next;
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
