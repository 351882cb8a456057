// How a protocol interface runs as one path of a hybrid interface (hybrid_interface.hpp) instead
// of owning a TUN device of its own: the hybrid interface owns the device and the router; the
// paths hand it every inner packet they opened and take from it the packets the router gives
// them. A plain interface has no link and talks to its own device directly.
//
// Threads: WireGuard calls the wireguard_* functions and inbound() from its sender and receiver
// threads; L2TP and IPsec tunnels call inbound(), protocol_state() and l2tp_login() on the
// control thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "base/time.hpp"
#include "control/ipsec_config.hpp"
#include "daemon/account_probe_target.hpp"
#include "hybrid/path.hpp"
#include "io/event_loop.hpp"
#include "io/packet_batch.hpp"
#include "io/tun_device.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::daemon {

// What a hybrid gateway answers for an L2TP/PPP login: the account's credential and the address
// IPCP hands the session (the account's, the same as on every other protocol).
struct HybridLogin {
  std::string account;
  // The account's own password or NT hash; none when it has neither (a login backend such as
  // [ldap] may still prove who it is).
  std::optional<ppp::LocalCredential> credential;
  std::optional<IpAddress> address;
  std::optional<IpAddress> address6;  // the account's IPv6 address, carried over IPV6CP
  std::string refusal;  // set when the account exists but may not log in now (disabled, no IPv4)
  // Its class: which [[ldap.class]] group a directory login needs (auth::group_rule).
  std::optional<std::string> account_class;
};

// A path that runs on the control thread: L2TP/IPsec (a client's secondary, or a gateway's
// sessions) or ESP tunnels (a site's secondary, or a gateway's IKEv2 road warriors). WireGuard runs
// threads of its own and takes its packets through HybridLink::wireguard_outbound() instead.
class ControlPath {
 public:
  // Room every packet handed to send_inner() has in front of it, for the path's headers.
  static constexpr std::size_t kInnerHeadroom = 128;

  virtual ~ControlPath() = default;
  virtual hybrid::PathKind kind() const = 0;
  // Registers the path's sockets and timers with the control loop and starts it (dials).
  virtual Result<Ok, std::string> attach(io::EventLoop& loop) = 0;
  // Wraps and sends inner packets; those the path cannot carry now are dropped and counted.
  virtual void send_inner(io::PacketBatch& batch) = 0;
  // The path's own status document, served beside the hybrid interface's.
  virtual std::string status_json() const = 0;
  // Hangs up, telling the peer; `on_done` runs once that is done (or given up on).
  virtual void shut_down(std::function<void()> on_done) = 0;
  // Inner packets refused because their source was not the peer's (the PPP session's address,
  // the ESP tunnel's traffic selectors).
  virtual std::uint64_t spoofed() const = 0;
  // The largest inner packet the path carries now (PPP's MRU, the tunnel's MTU, or less where
  // the underlay is known to be smaller).
  virtual std::size_t inner_mtu() const = 0;
  // What the hybrid interface's path MTU probes found the path to carry (nullopt: nothing
  // measured): its packets are held to it. Paths that probe themselves (PPP) ignore it.
  virtual void set_probed_mtu(std::optional<std::size_t> mtu) { (void)mtu; }
  // The one far end on the underlay that the hybrid interface's probes of this path measure the
  // way to (a site's single peer); nullopt where there is none or the path probes itself.
  virtual std::optional<IpAddress> underlay_peer() const { return std::nullopt; }
  // A gateway: ends the session whose inner address is `address` now (its account was disabled
  // or revoked), telling the client `reason`; session_down() follows once it is gone. False when
  // this path cannot (it keeps such sessions until a restart) or has no such session.
  virtual bool hang_up(const IpAddress& address, const std::string& reason) {
    (void)address;
    (void)reason;
    return false;
  }
  // A gateway's IKEv2 road warriors: takes `config`'s connections (one per account that may log
  // in) in place of the running ones. The IKE SAs of a connection that went or changed are
  // deleted, telling the peer, and session_down() follows; its identity is refused from then
  // on. False when this path keeps its connections until a restart.
  virtual bool replace_connections(const control::IpsecConfig& config) {
    (void)config;
    return false;
  }
  // A gateway's IKEv2 road warriors, probed with ICMP echoes (road_warrior_probers.hpp): the
  // status of the one whose SA carries `address` (null without one), and each one's target
  // asked of the link again (HybridLink::road_warrior_probe_target) after the accounts changed.
  virtual nlohmann::json session_mtu_status(const IpAddress& address) const {
    (void)address;
    return nullptr;
  }
  virtual void refresh_probe_targets() {}
};

// What a gateway's link says of a road warrior it probes: its account and where the probes go.
struct RoadWarriorProbeTarget {
  std::string account;
  AccountProbeTarget probe;
  Duration raise_interval{};  // [accounts] mtu_probe_interval
};

class HybridLink {
 public:
  virtual ~HybridLink() = default;

  // WireGuard's sender thread, for each batch it read from the shared TUN device: leaves in
  // `batch` (in order) the packets WireGuard carries and takes the others.
  virtual void wireguard_outbound(io::PacketBatch& batch) = 0;
  // WireGuard's sender thread, when woken: appends the packets to send on WireGuard that did not
  // come from the device (health probes, probe replies).
  virtual void wireguard_injected(io::PacketBatch& batch) = 0;
  // Inner packets a path opened and authenticated; the link keeps in `batch` (in order) the ones
  // for the TUN device, which the caller then writes.
  virtual void inbound(hybrid::PathKind kind, io::PacketBatch& batch) = 0;
  // The same for paths that deliver views (L2TP); the link writes them itself.
  virtual void inbound(hybrid::PathKind kind, std::span<const ByteView> packets) = 0;
  // The protocol's own view of a client path (WireGuard handshake, PPP link) changed; `address`
  // is the inner address the path was given, where the protocol hands one out (IPCP).
  virtual void protocol_state(hybrid::PathKind kind, bool up, const std::string& detail,
                              std::optional<IpAddress> address = std::nullopt) = 0;
  // A gateway's L2TP/PPP login: nullopt when no account has this user.
  virtual std::optional<HybridLogin> l2tp_login(std::string_view user) = 0;
  // A gateway: a login backend (a RADIUS Framed-IP-Address) gave `account` the IPv4 address
  // `address` for its L2TP/PPP login. It becomes the account's address on every protocol (its
  // WireGuard keys' allowed IPs, its IKEv2 login) as a fixed one would, until the gateway stops.
  // Refused, saying why, when the account's own address is fixed, another account holds this
  // one, or it is outside the gateway's subnets or the gateway's own.
  virtual Result<Ok, std::string> assign_address(std::string_view account,
                                                 const IpAddress& address) {
    (void)account;
    (void)address;
    return Err(std::string("only a gateway's accounts take addresses from a login backend"));
  }
  // A gateway's session on a control-thread path ended (an L2TP session, the last Child SA of
  // a road warrior); `address` is the inner address it had.
  virtual void session_down(hybrid::PathKind kind, const IpAddress& address) = 0;
  // The control loop was woken (another thread queued work for it).
  virtual void on_control_wake() = 0;
  // The shared device, for answers from inside a tunnel (ICMP too big) that go straight to the
  // sender past the router, on any thread.
  virtual io::TunDevice& device() = 0;
  // A gateway's IKEv2 road warrior with inner address `inner` came up: its account and where its
  // path MTU probes go (account_probe_target.hpp); nullopt where nothing is probed (no account
  // has the address, or this is no gateway).
  virtual std::optional<RoadWarriorProbeTarget> road_warrior_probe_target(const IpAddress& inner) {
    (void)inner;
    return std::nullopt;
  }
};

}  // namespace tandem::daemon
