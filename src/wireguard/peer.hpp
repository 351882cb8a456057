// A WireGuard peer as the device keeps it (whitepaper section 2-3): its static key and
// pre-shared key, endpoint, handshake, up to three sessions (previous, current, next), timers,
// packets waiting for a handshake, and what `wg show` reports. Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "wireguard/cookie.hpp"
#include "wireguard/keypair.hpp"
#include "wireguard/noise.hpp"
#include "wireguard/staged_queue.hpp"
#include "wireguard/timers.hpp"

namespace tandem::wireguard {

// Never reused within a device, so a stale id held across the device lock finds nothing.
using PeerId = std::uint32_t;

struct Peer {
  PeerId id = 0;
  RemoteStatic remote;
  bool has_preshared_key = false;
  std::optional<Endpoint> endpoint;
  std::uint16_t persistent_keepalive_interval = 0;  // seconds; 0 = off
  // The underlay's path MTU towards `endpoint` as the last report said (a router on the way, or
  // this host, refused a datagram of ours as too big), and when it said so. While set, packets to
  // this peer are held to what fits it (Device::inner_mtu). Forgotten when the endpoint changes
  // and after kPathMtuLifetime, so a path that has grown again is used in full.
  std::optional<std::size_t> path_mtu;
  TimePoint path_mtu_learned{};
  // The largest inner packet that path MTU probes found to arrive (Device::set_probed_mtu), for
  // paths where no ICMP comes back; unset while nothing was measured.
  std::optional<std::size_t> probed_mtu;

  Handshake handshake;
  CookieMaker cookie;
  // The responder's fresh session waits in `next` until the initiator's first data confirms it.
  std::unique_ptr<Keypair> previous;
  std::unique_ptr<Keypair> current;
  std::unique_ptr<Keypair> next;
  PeerTimers timers;
  StagedQueue staged;

  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  // Inner packets sent (keepalives and path MTU probes not counted): whether data flowed.
  std::uint64_t data_packets_sent = 0;
  std::optional<WallTime> last_handshake;

  // The session with this local index, if any.
  Keypair* keypair_by_index(std::uint32_t local_index) {
    for (Keypair* k : {current.get(), previous.get(), next.get()})
      if (k && k->local_index == local_index) return k;
    return nullptr;
  }
};

}  // namespace tandem::wireguard
