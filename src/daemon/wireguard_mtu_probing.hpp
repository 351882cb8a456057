// Path MTU probing of a plain WireGuard interface's peers: for each [[peer]] with an
// mtu_probe_target, ICMP echoes of chosen sizes to that address (hybrid/icmp_echo_prober.hpp)
// find the largest inner packet the path to the peer carries, for the paths where a hop drops
// large datagrams without any ICMP. The probes go through the device like packets read from the
// TUN device, sealed without padding; the replies are taken out of the receive path before the
// TUN device sees them. What a search finds holds the peer's packets at once
// (Device::set_probed_mtu: ICMP too big, fragmentation and MSS clamping follow), and each
// change is logged.
//
// A peer's probing is live while it has a session to send in; its search starts again when its
// endpoint moves (roaming) or the underlay route to it changes (underlay_route_watch.hpp), and the
// size in use is confirmed while data flows to it, which is how a hop that shrank silently is
// found. Every call is made with the device lock held: this is guarded by it as the Device is.
// Peers are known by public key, so that one removed and added again over the UAPI starts afresh.
//
// A gateway has thousands of peers, and run() comes every 100 ms: each peer's next look sits in
// a DeadlineHeap (its prober's timer, or a look every confirm interval while it has a session to
// check for data and expiry), so a run costs the peers that are due. A peer without a session is
// looked at again when the device reports its handshake (on_event); a route change walks them
// all once.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/deadline_heap.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "daemon/peer_event_log.hpp"
#include "daemon/underlay_route_watch.hpp"
#include "hybrid/icmp_echo_prober.hpp"
#include "io/packet_batch.hpp"
#include "wireguard/device.hpp"

namespace tandem::daemon {

class WireguardMtuProbing {
 public:
  // `names` names peers in log lines; both must outlive this.
  WireguardMtuProbing(Rng& rng, const PeerEventLog& names);

  // The interface's name for log lines, its addresses (probes leave from the first of the
  // target's family), and how long a completed search waits before it looks upwards again.
  void configure(std::string interface_name, std::vector<IpAddress> sources,
                 Duration raise_interval);
  // Probes the path to the peer with `key` through `target` from now on; nullopt stops it (and
  // the peer is held to nothing probed any more). Refused when the interface has no address of
  // the target's family.
  Result<Ok, std::string> set_target(wireguard::Device& device, const wireguard::PublicKey& key,
                                     const std::optional<IpAddress>& target);
  // No peer has a target: the receive path need not look at anything.
  bool empty() const { return peers_.empty(); }

  // Send path: `packet`, an inner packet about to be sealed, is a large TCP segment sent again
  // (RetransmitWatch): the probing of the peer it goes to checks the size in use now.
  void note_large_retransmit(const wireguard::Device& device, ByteView packet, TimePoint now);
  // Receive path: whether `packet`, an inner packet opened from peer `id`, answers one of its
  // probes; if so it is consumed here and must not reach the TUN device.
  bool take_reply(wireguard::Device& device, wireguard::PeerId id, ByteView packet, TimePoint now);
  // A device event: a handshake completed, a peer roamed or lost its keys. That peer is looked
  // at in the next run.
  void on_event(const wireguard::Device& device, const wireguard::DeviceEvent& event,
                TimePoint now);
  // Control thread: the state of each peer that is due brought up to date (session, endpoint,
  // data sent, what ICMP says its path carries), and its probes due now appended to `probes` as
  // inner packets marked mtu_probe, for the caller to send through the device.
  void run(wireguard::Device& device, TimePoint now, io::PacketBatch& probes);
  std::optional<TimePoint> next_deadline() const { return due_.next(); }
  // How many times run() looked at a peer, for tests: a run costs the peers that are due.
  std::uint64_t visits() const { return visits_; }
  // What a client's TUN device should show: with one peer (a client's server), the size its
  // probing holds its packets to; nullopt where the device's configured MTU should hold (nothing
  // probed, or several peers, whose paths differ: each is held on its own, and the device keeps
  // the MTU every one of them is configured for).
  std::optional<std::size_t> client_device_mtu(const wireguard::Device& device) const;

  // For `tandem status`: the MTU the peer's packets are held to ("mtu"), the device's
  // ("configured_mtu"), its "mtu_probe" object (mtu_probe_status.hpp: "live" says whether the
  // peer has a session to probe in), and the "mtu_probe_target" when there is one.
  nlohmann::json peer_status(const wireguard::Device& device, const wireguard::Peer& peer) const;

 private:
  struct PeerProbing {
    IpAddress target;
    IpAddress source;
    wireguard::PeerId id = 0;  // the device's id for `key` when `echo` was made; 0: none yet
    std::optional<hybrid::IcmpEchoProber> echo;
    std::optional<Endpoint> endpoint;   // the peer's endpoint at the last run
    std::uint64_t data_packets = 0;     // the peer's data_packets_sent at the last run
    std::optional<std::size_t> logged;  // what the last log line said the peer is held to
    TimePoint next_look{};              // while it has a session: when to look at it again
  };
  using Peers = std::map<wireguard::PublicKey, PeerProbing>;

  // The entry for `key` in `peers` (peers_, const or not), or null.
  template <typename PeerMap>
  static auto* find_in(PeerMap& peers, const wireguard::PublicKey& key);
  // Brings the peer's probing up to date with the device, sends what is due, applies a change.
  void visit(Peers::value_type& entry, wireguard::Device& device, TimePoint now,
             io::PacketBatch& probes);
  // A fresh prober for the peer as the device has it now.
  void start(const wireguard::PublicKey& key, PeerProbing& p, const wireguard::Device& device,
             const wireguard::Peer& peer);
  // The peer is gone from the device: its prober too.
  void forget(PeerProbing& p);
  void track(PeerProbing& p, const wireguard::Peer& peer, const wireguard::Device& device,
             TimePoint now);
  // The underlay routes changed: each probed peer whose endpoint's route moved searches again.
  void follow_routes(TimePoint now);
  // Holds the peer to what its prober now holds, and logs a fall, or where a search settled.
  void apply_change(const wireguard::PublicKey& key, PeerProbing& p, wireguard::Device& device);
  // Its next look: its prober's timer, or its regular look while it has a session.
  void schedule(const wireguard::PublicKey& key, const PeerProbing& p);

  Rng& rng_;
  const PeerEventLog& names_;
  std::string interface_name_;
  std::vector<IpAddress> sources_;
  Duration raise_interval_ = std::chrono::minutes(10);
  Peers peers_;
  std::map<wireguard::PeerId, wireguard::PublicKey> by_id_;  // the peers with a prober
  DeadlineHeap<wireguard::PublicKey> due_;
  std::optional<UnderlayRouteWatch> routes_;  // from the first target on
  std::uint64_t visits_ = 0;
  std::vector<wireguard::PublicKey> due_now_;     // run()'s scratch
  std::vector<hybrid::PmtuSearch::Probe> sizes_;  // run()'s scratch
};

}  // namespace tandem::daemon
