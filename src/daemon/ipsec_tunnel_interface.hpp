// Site-to-site IPsec on a TUN device: the `[ipsec]` section running. Inner packets read from the
// device are sealed in ESP tunnel mode with the SA whose traffic selectors take them; ESP that
// arrives is opened, checked against its SA's selectors and written to the device. Routes to
// every connection's remote subnets point at the device from the start, so that traffic for a
// peer whose SA is down is dropped rather than sent in the clear. Connections with a remote
// address are dialled at start-up and again, with backoff, whenever their IKE SA is lost.
//
// As the secondary path of a site's hybrid interface (create_path) it has no device, addresses
// or routes of its own: the router hands it inner packets, what it opens goes to the link, and
// the link hears whether a Child SA stands (the protocol's own view of the path). On a hybrid
// gateway (road_warrior_config) its peers are the accounts that log in over IKEv2, each held to
// its own inner address, and the link hears when a road warrior's last Child SA is gone. There each
// road warrior's path MTU is probed with ICMP echoes to its inner address where the link says so
// (road_warrior_probers.hpp): its packets are held to what the probes find.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "control/ipsec_config.hpp"
#include "crypto/random.hpp"
#include "daemon/hybrid_link.hpp"
#include "daemon/ipsec_endpoint.hpp"
#include "daemon/login_throttle_gate.hpp"
#include "daemon/oversize_packets.hpp"
#include "daemon/road_warrior_probers.hpp"
#include "daemon/underlay_route_watch.hpp"
#include "io/event_loop.hpp"
#include "io/netlink.hpp"
#include "io/packet_batch.hpp"
#include "io/tun_device.hpp"
#include "io/unix_socket_server.hpp"
#include "ipsec/ike/v1/config.hpp"
#include "ipsec/ike/v2/config.hpp"

namespace tandem::daemon {

class IpsecTunnelInterface final : public ControlPath {
 public:
  static Result<std::unique_ptr<IpsecTunnelInterface>, std::string> create(
      const control::IpsecConfig& config);
  // The tunnel as one path of a hybrid interface; `link` must outlive it. With `shared_ipsec`
  // (an endpoint with the engine from ike_engine()) it uses that endpoint's ports.
  static Result<std::unique_ptr<IpsecTunnelInterface>, std::string> create_path(
      const control::IpsecConfig& config, HybridLink& link,
      std::shared_ptr<IpsecEndpoint> shared_ipsec = nullptr);
  // The IKE engine (of config.ike_version) the section describes.
  static IpsecEndpoint::EngineFactory ike_engine(const control::IpsecConfig& config);
  ~IpsecTunnelInterface() override;
  IpsecTunnelInterface(const IpsecTunnelInterface&) = delete;
  IpsecTunnelInterface& operator=(const IpsecTunnelInterface&) = delete;

  const std::string& name() const { return tun_ ? tun_->name() : config_.interface; }
  hybrid::PathKind kind() const override { return hybrid::PathKind::kIpsecTunnel; }
  // Addresses, routes, the device and sockets on `loop`; dials the connections that start.
  Result<Ok, std::string> attach(io::EventLoop& loop) override;
  // Path mode: seals inner packets (each with kInnerHeadroom in front) with the SA whose
  // selectors take them; those without one are dropped and counted.
  void send_inner(io::PacketBatch& batch) override;
  // Deletes every SA, telling the peers.
  void shut_down();
  void shut_down(std::function<void()> on_done) override;
  std::string status_json() const override;
  std::uint64_t spoofed() const override {
    return ipsec_->stack().policy_dropped(config_.ike_version);
  }
  // The configured MTU, or less while the underlay to the one peer is known to be smaller.
  std::size_t inner_mtu() const override;
  void set_probed_mtu(std::optional<std::size_t> mtu) override { probed_mtu_ = mtu; }
  std::optional<IpAddress> underlay_peer() const override;
  bool replace_connections(const control::IpsecConfig& config) override;
  nlohmann::json session_mtu_status(const IpAddress& address) const override {
    return road_warriors_.status_json(address);
  }
  void refresh_probe_targets() override;

 private:
  IpsecTunnelInterface(const control::IpsecConfig& config, std::optional<io::TunDevice> tun,
                       HybridLink* link, std::shared_ptr<IpsecEndpoint> ipsec, io::Netlink netlink);
  static Result<std::unique_ptr<IpsecTunnelInterface>, std::string> assemble(
      const control::IpsecConfig& config, std::optional<io::TunDevice> tun, HybridLink* link,
      std::shared_ptr<IpsecEndpoint> shared_ipsec);
  Result<Ok, std::string> configure_device();
  // Plain mode: routes to every connection's remote subnets through the device.
  Result<Ok, std::string> add_routes();
  void on_tun_readable();
  void on_ike_event(const ipsec::ike::Event& e);
  void on_child(const hybrid::ChildSaChange& c);
  // Puts an address the peer gave us on the device while an SA uses it (counted per SA).
  void use_given_address(const IpAddress& given, bool up);
  // Path mode: tells the link when the last Child SA to a single remote host is gone.
  void session_change(const hybrid::ChildSaChange& c);
  // A gateway's road warrior came up or went: its path MTU probing starts or stops.
  void probe_road_warrior(const hybrid::ChildSaChange& c);
  // Sends the road warriors' probes that are due, and sets the timer for the next.
  void run_road_warrior_probes();
  void rearm_probe_timer();
  // The road warriors whose underlay route changed search again (asks about each).
  void follow_underlay_routes();
  // Takes the replies to our probes out of `packets` (into inbound_), which then holds the rest.
  std::span<const ByteView> take_probe_replies(std::span<const ByteView> packets);
  void dial();
  // Some peer's underlay is known to be smaller: leaves in `batch` the packets that fit theirs;
  // the others are answered with ICMP or fragmented into fragments_.
  void hold_to_underlay(io::PacketBatch& batch);
  // The largest inner packet for `peer`: the configured MTU, or less where probes found less or
  // its underlay carries less (a path MTU probe: where its underlay carries less).
  std::size_t limit_towards(const IpAddress& peer, bool mtu_probe = false) const;
  // What an inner packet to or from a road warrior is held to by its probing (`to`: its
  // destination; else its source); nullopt where nothing is.
  std::optional<std::size_t> road_warrior_limit(ByteView packet, bool to) const;
  // The tunnel's MTU, or what path MTU probing found, whichever is smaller.
  std::size_t probed_limit() const;

  control::IpsecConfig config_;
  std::optional<io::TunDevice> tun_;      // plain mode
  HybridLink* link_;                      // path mode
  std::shared_ptr<IpsecEndpoint> ipsec_;  // perhaps shared with L2TP/IPsec (IKEv1)
  // IKEv2: held-back identities and addresses that guessed keys too often ([login_throttle]).
  std::unique_ptr<IkeLoginThrottle> login_gate_;
  io::Netlink netlink_;
  io::EventLoop* loop_ = nullptr;
  io::EventLoop::TimerId redial_timer_ = 0;
  Duration redial_wait_ = std::chrono::seconds(1);
  bool stopping_ = false;
  std::map<IpAddress, int> virtual_addresses_;  // given by peers, with the SAs that use each
  std::set<std::uint32_t> outbound_children_;   // path mode: the Child SAs that stand
  std::map<IpAddress, int> remote_hosts_;       // path mode: single-host peers, with their SAs
  io::PacketBatch tun_batch_;
  io::PacketBatch fragments_;  // hold_to_underlay()'s, sent after the batch
  // A site's one tunnel: what path MTU probing found it to carry (set_probed_mtu).
  std::optional<std::size_t> probed_mtu_;
  OversizeTally too_big_;
  // A gateway: its road warriors' path MTU probing, the routes to them, the probes' timer.
  crypto::SystemRng rng_;
  RoadWarriorProbers road_warriors_;
  std::optional<UnderlayRouteWatch> routes_;
  io::EventLoop::TimerId probe_timer_ = 0;
  std::optional<TimePoint> probe_timer_at_;
  io::PacketBatch probe_batch_;
  std::vector<ByteView> inbound_;  // take_probe_replies()'s
};

// The engine configurations an `[ipsec]` section describes.
ipsec::ike::v1::Config ipsec_ikev1_config(const control::IpsecConfig& config);
ipsec::ike::v2::Config ipsec_ikev2_config(const control::IpsecConfig& config);

}  // namespace tandem::daemon
