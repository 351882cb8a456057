// The underlay's path MTU per peer: what a too-big report towards a peer's endpoint does to the
// inner packets that peer takes (RFC 1191, RFC 8201, applied to the outer datagrams).
#include <algorithm>

#include "base/packet.hpp"
#include "wireguard/device.hpp"

namespace tandem::wireguard {
namespace {

// What the kernel believes at the least (net.ipv4.route.min_pmtu; IPv6's minimum link MTU):
// lower reports are forged or broken, and would leave no room for an inner packet.
constexpr std::size_t kMinPathMtuV4 = 552;
constexpr std::size_t kMinPathMtuV6 = 1280;

std::size_t outer_ip_header(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? 20 : 40;
}

}  // namespace

std::size_t Device::reported_mtu(const Peer& peer) const {
  if (!peer.path_mtu || !peer.endpoint) return mtu_;
  const std::size_t overhead =
      outer_ip_header(peer.endpoint->address.family()) + kUdpTransportOverhead;
  return std::min(mtu_, *peer.path_mtu - overhead);
}

std::size_t Device::probe_limit(const Peer& peer) const {
  if (!peer.path_mtu || !peer.endpoint) return kMaxTunnelMtu;
  const std::size_t overhead =
      outer_ip_header(peer.endpoint->address.family()) + kUdpTransportOverhead;
  return std::min(kMaxTunnelMtu, *peer.path_mtu - overhead);
}

std::size_t Device::inner_mtu(const Peer& peer) const {
  return std::min(reported_mtu(peer), peer.probed_mtu.value_or(mtu_));
}

void Device::set_probed_mtu(PeerId id, std::optional<std::size_t> inner_mtu) {
  if (Peer* peer = find(id)) peer->probed_mtu = inner_mtu;
}

void Device::expire_path_mtu(Peer& peer, TimePoint now) {
  if (peer.path_mtu && now - peer.path_mtu_learned >= kPathMtuLifetime) peer.path_mtu.reset();
}

void Device::on_path_too_big(const Endpoint& destination, std::size_t path_mtu, TimePoint now,
                             DeviceActions& actions) {
  const IpAddress::Family family = destination.address.family();
  const std::size_t reported =
      std::max(path_mtu, family == IpAddress::Family::kV4 ? kMinPathMtuV4 : kMinPathMtuV6);
  for (const PeerId id : peer_order_) {
    Peer& peer = *peers_.at(id);
    // The port is not compared: a refusal by this host's IPv4 stack does not record it.
    if (!peer.endpoint || peer.endpoint->address != destination.address) continue;
    expire_path_mtu(peer, now);
    const std::size_t before = inner_mtu(peer);
    if (peer.path_mtu && reported >= *peer.path_mtu) {
      // The same report again (each too-big datagram draws one): it still holds.
      if (reported == *peer.path_mtu) peer.path_mtu_learned = now;
      continue;
    }
    peer.path_mtu = reported;
    peer.path_mtu_learned = now;
    const std::size_t after = inner_mtu(peer);
    if (after >= before) continue;  // the device MTU already fits the reported path
    DeviceEvent event{DeviceEvent::Kind::kPathMtuLowered, peer.id, false, *peer.endpoint};
    event.path_mtu = reported;
    event.inner_mtu = after;
    actions.on_event(event);
  }
}

}  // namespace tandem::wireguard
