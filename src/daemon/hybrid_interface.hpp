// A hybrid interface: ONE TUN device with several paths behind it, the node's config running as
// one product rather than one device per protocol.
//
// - A gateway (a config with [[account]]s) serves every account on WireGuard, L2TP/IPsec and
//   IKEv2 with the same inner address: the WireGuard peers are the accounts' keys with the
//   accounts' prefixes as allowed IPs, a PPP login is checked against the account and IPCP hands
//   it the account's address, an IKEv2 road warrior gets it in a configuration payload. L2TP/IPsec
//   (IKEv1) and IKEv2 share UDP 500 and 4500: one IpsecEndpoint runs both engines. The
//   GatewayRouter sends each packet read from the device to the account that owns its
//   destination, on the path its most recent packet arrived by, and answers the clients' health
//   probes on the path they came by.
// - A client (a config with [fallback]) has WireGuard as its primary path and L2TP/IPsec as its
//   secondary, both up, both with its one inner address; the FallbackPath sends traffic on the
//   healthy one, probes both, and fails back once the primary has been healthy long enough.
// - A site is a client whose secondary is an ESP tunnel ([ipsec]) to another site. Two sites
//   probe each other, each answering the other's probes on the path they came by, and each
//   sends on the path it finds healthy.
//
// Threads: WireGuard's sender thread reads the device and asks the router (wireguard_outbound)
// which packets are not its own; those, and everything else for the other paths, are queued for
// the control thread, which runs L2TP/IPsec and the ESP tunnels (ControlPaths), the fallback's
// timer and the status socket. What any path opens
// passes through the router (inbound) before it is written to the device. One mutex guards the
// router and the queues; it is taken once per batch.
#pragma once

#include <array>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "control/config.hpp"
#include "daemon/account_probe_target.hpp"
#include "daemon/hybrid_link.hpp"
#include "daemon/ipsec_tunnel_interface.hpp"
#include "daemon/kernel_policy.hpp"
#include "daemon/l2tp_interface.hpp"
#include "daemon/probed_device_mtu.hpp"
#include "daemon/underlay_route_watch.hpp"
#include "daemon/wireguard_interface.hpp"
#include "hybrid/accounts.hpp"
#include "hybrid/fallback_path.hpp"
#include "hybrid/gateway_router.hpp"
#include "hybrid/retransmit_watch.hpp"
#include "hybrid/traffic_policy.hpp"
#include "io/event_loop.hpp"
#include "io/packet_batch.hpp"
#include "io/policy_routes.hpp"
#include "io/tun_device.hpp"
#include "io/unix_socket_server.hpp"

namespace tandem::daemon {

// The account table a gateway config describes (fixed addresses, pools, the gateway's own
// addresses reserved); an account `remembered` names keeps that leased address when still free,
// and one `assigned` names (by a login backend) has that IPv4 address unless its own is fixed.
Result<hybrid::AccountTable, std::string> account_table(
    const control::NodeConfig& config,
    const std::map<std::string, std::vector<IpAddress>>& remembered = {},
    const std::map<std::string, IpAddress, std::less<>>& assigned = {});
// A gateway's [ipsec] with one connection per account that logs in over IKEv2 (and is enabled):
// its identity and key, the account's IPv4 address handed out and held to, its subnets.
control::IpsecConfig road_warrior_config(const control::NodeConfig& config,
                                         const hybrid::AccountTable& accounts);
// The fallback settings as the controller takes them.
hybrid::FallbackConfig fallback_config(const control::FallbackSettings& settings);

class HybridInterface final : public HybridLink {
 public:
  // Creates the device, the paths and the router; nothing moves until start().
  static Result<std::unique_ptr<HybridInterface>, std::string> create(
      const control::NodeConfig& config);
  ~HybridInterface() override;
  HybridInterface(const HybridInterface&) = delete;
  HybridInterface& operator=(const HybridInterface&) = delete;

  const std::string& name() const { return tun_.name(); }
  // Addresses, routes, the paths' sockets and threads, the UAPI socket: after start() the
  // interface carries traffic.
  Result<Ok, std::string> start();
  // Runs the control loop until a stop: SIGTERM/SIGINT hang up L2TP cleanly first; SIGHUP calls
  // `on_reload`.
  Result<Ok, std::string> run(const std::function<void()>& on_reload);
  // The control thread's loop (the WireGuard path's), for timers of the node around it.
  io::EventLoop& control_loop() { return *loop_; }
  std::string status_json();
  // For the admin socket: status_json() with its WireGuard path's and control paths' documents
  // under "wireguard", "l2tp" and "ipsec".
  nlohmann::json admin_document();
  // A reload of a gateway's [[account]]s (hybrid_accounts_reload.cpp), on the control thread:
  // the new accounts replace the old as a whole, with their WireGuard keys and site routes, and
  // every account that stays keeps its leased addresses, its live paths and its return path.
  // Refused, with nothing changed, when an account's address would change (its clients keep the
  // one they were given) or an account with a live L2TP/IPsec session would be removed or
  // disabled; with kHangUp such sessions are hung up as well (the change is for good, as from
  // the accounts' store, and applies once they are gone: the caller tries again).
  enum class LiveSessions : std::uint8_t { kRefuse, kHangUp };
  Result<Ok, std::string> reload_accounts(const control::NodeConfig& next,
                                          LiveSessions live = LiveSessions::kRefuse);
  // A failover drill (a client with [fallback]): WireGuard held down for `seconds`, as if it had
  // failed, so the fallback takes over and gives it back after.
  Result<nlohmann::json, std::string> drill(unsigned seconds);

  // HybridLink
  void wireguard_outbound(io::PacketBatch& batch) override;
  void wireguard_injected(io::PacketBatch& batch) override;
  void inbound(hybrid::PathKind kind, io::PacketBatch& batch) override;
  void inbound(hybrid::PathKind kind, std::span<const ByteView> packets) override;
  void protocol_state(hybrid::PathKind kind, bool up, const std::string& detail,
                      std::optional<IpAddress> address) override;
  std::optional<HybridLogin> l2tp_login(std::string_view user) override;
  Result<Ok, std::string> assign_address(std::string_view account,
                                         const IpAddress& address) override;
  void session_down(hybrid::PathKind kind, const IpAddress& address) override;
  void on_control_wake() override;
  io::TunDevice& device() override { return tun_; }
  std::optional<RoadWarriorProbeTarget> road_warrior_probe_target(const IpAddress& inner) override;

 private:
  // reload_accounts, where the account named `readdressed` (if any) may take a new address: the
  // one assign_address just gave it.
  Result<Ok, std::string> replace_accounts(const control::NodeConfig& next, LiveSessions live,
                                           std::string_view readdressed);
  struct StateChange {
    hybrid::PathKind kind;
    bool up;
    std::string detail;
    std::optional<IpAddress> address;
  };
  struct Counters {
    std::uint64_t to_wireguard = 0;
    std::uint64_t to_control_path = 0;
    std::uint64_t delivered = 0;
    std::uint64_t probes_answered = 0;
    std::uint64_t probe_replies = 0;
    std::uint64_t dropped_no_route = 0;
    std::uint64_t dropped_spoofed = 0;
    std::uint64_t dropped_queue_full = 0;
    std::uint64_t dropped_policy = 0;  // a fail-closed rule's path was down
    // Larger than the path they were for: answered with ICMP, fragmented, or (neither possible)
    // dropped.
    std::uint64_t too_big_icmp = 0;
    std::uint64_t fragmented = 0;
    std::uint64_t dropped_too_big = 0;
    // Per path kind, whatever it was handed to send (data, probes, replies) and whatever it
    // opened.
    std::array<hybrid::PathCounters, 4> paths{};
  };
  // With mutex_ held.
  void count_sent(hybrid::PathKind kind, std::size_t bytes) {
    auto& c = counters_.paths[static_cast<std::size_t>(kind)];
    ++c.tx_packets;
    c.tx_bytes += bytes;
  }
  // A path that runs on the control thread (a gateway's L2TP/IPsec sessions or IKEv2 road
  // warriors, a client's or site's secondary), with the queue that feeds it.
  struct ControlSlot {
    ControlSlot(hybrid::PathKind kind,
                std::function<Result<std::unique_ptr<ControlPath>, std::string>()> make);
    hybrid::PathKind kind;
    // Builds the path: at start, and for an on-demand secondary each time the fallback dials.
    std::function<Result<std::unique_ptr<ControlPath>, std::string>()> make;
    // Only the control thread touches the path; it is gone while an on-demand secondary is
    // hung up.
    std::unique_ptr<ControlPath> path;
    std::size_t mtu = 0;       // the path's inner MTU as built at start (kept while hung up)
    io::PacketBatch pending;   // guarded by mutex_: for the path to send
    io::PacketBatch draining;  // control thread scratch
  };

  HybridInterface(const control::NodeConfig& config, io::TunDevice tun,
                  hybrid::AccountTable accounts);
  bool gateway() const { return router_.has_value(); }
  // A client's or site's paths by role: WireGuard, then the control path; and back.
  hybrid::PathKind kind_for(hybrid::PathRole role) const;
  static hybrid::PathRole role_of(hybrid::PathKind kind);
  bool own_address(const IpAddress& address) const;
  // The account path ids of a gateway: one per account and protocol.
  static hybrid::PathId path_id(hybrid::AccountId account, hybrid::PathKind kind);
  static hybrid::PathKind kind_of(hybrid::PathId path);
  static hybrid::AccountId account_in(hybrid::PathId path);
  // With mutex_ held: what happens to one opened packet; true to write it to the device.
  bool accept_inbound(hybrid::PathKind kind, ByteView packet, TimePoint now);
  // The control path of this kind, or nullptr.
  ControlSlot* control_slot(hybrid::PathKind kind) const;
  // A client's or site's one secondary.
  ControlSlot& secondary() const { return *control_.front(); }
  // On the control thread: leaves in `batch` the packets that fit `path`; the others are answered
  // with ICMP written to the device or, IPv4 without DF, fragmented into fragments_.
  void fit_to_path(ControlPath& path, io::PacketBatch& batch);
  // With mutex_ held (a client): whether a path can carry traffic now (healthy, not drilled).
  bool path_usable(hybrid::PathRole role) const;
  // With mutex_ held, `lock` on it: a client's batch by its [[policy]] rules; leaves the
  // WireGuard packets in `batch` and queues the rest. True when some were queued.
  bool route_by_policy(io::PacketBatch& batch, std::unique_lock<std::mutex>& lock);
  // With mutex_ held: queues a copy of `packet` for the control path of `kind` (the control
  // thread sends it).
  void queue_for_control_path(hybrid::PathKind kind, ByteView packet);
  std::size_t control_queued() const;  // with mutex_ held: packets waiting in every queue
  // With mutex_ held: a probe or a probe's answer for WireGuard's sender; `mtu_probe` for a path
  // MTU probe or its answer (Packet::mtu_probe).
  void queue_for_wireguard(ByteView packet, bool mtu_probe = false);
  // On the control thread, without the lock: sends the fallback's probes, logs its events.
  void handle_fallback_output(hybrid::FallbackPathOutput& out);
  void log_fallback_event(const hybrid::FallbackEvent& e);
  // Path MTU probing (a client or site): the paths without probing of their own get the
  // fallback's; its results hold the path's packets and show in the device MTU.
  void start_mtu_probing();
  void apply_mtu_change(const hybrid::PathMtuChange& c);
  // Sender thread, with mutex_ held: a packet leaving on `role`; a large TCP segment sent again
  // has the size in use probed (a black hole shows as retransmissions first).
  void watch_for_retransmits(hybrid::PathRole role, ByteView packet);
  // Without the lock: the probed paths whose underlay route changed search again.
  void follow_underlay_routes();
  // With mutex_ held: tells the fallback which paths carried data since the last call.
  void note_path_traffic();
  // With mutex_ held: a path's "mtu_probe" status object.
  nlohmann::json path_mtu_probe_json(hybrid::PathRole role) const;
  // A gateway, with mutex_ held: a client's probe on WireGuard says what the client holds the
  // path to (held_mtu, 0: nothing); a change is queued for the control thread, which holds the
  // account's WireGuard peer to the same size (apply_client_holds), unless the gateway probes that
  // account's path itself.
  void note_client_hold(const IpAddress& client, std::uint16_t held_mtu);
  // A gateway, on the control thread: where each account's WireGuard path is probed with ICMP
  // echoes (account_probe_target.hpp), set on every key of the account; and an account's
  // probing in status ("mtu_probe", "wireguard_mtu", "mtu_probe_target"; WireGuard's lock, so
  // before mutex_ is taken).
  AccountProbeTarget probe_target_of(const hybrid::Account& account,
                                     ProbedPath path = ProbedPath::kWireguard) const;
  void set_account_probe_targets();
  nlohmann::json account_mtu_probe_json(const hybrid::Account& account) const;
  nlohmann::json wireguard_mtu_probe_json(const hybrid::Account& account) const;
  void apply_client_holds();
  void on_fallback_timer();
  void rearm_fallback_timer();
  Result<Ok, std::string> configure_wireguard();
  // Control thread: which key of each account holds its addresses (key_groups.hpp).
  void settle_key_holders();
  // On the control thread: builds, attaches and serves the secondary (a dial), or hangs it up
  // and drops it.
  Result<Ok, std::string> dial_control_path();
  Result<Ok, std::string> attach_control_path(ControlSlot& slot);  // built, not yet attached
  void hang_up_control_path();
  // At a stop: hangs up the control paths from `next` on, in turn, then stops the loop.
  void hang_up_for_stop(int sig, std::size_t next);
  // Builds the control paths the config names (both IPsec users on one endpoint).
  Result<Ok, std::string> add_control_paths(const control::NodeConfig& config);
  bool on_demand() const { return fallback_ && !config_.fallback->warm_secondary; }
  Result<Ok, std::string> configure_system();
  // With mutex_ held: a path's MTU and counters into its status object.
  // WireGuard's peers whose underlay path ICMP said is smaller (read before mutex_ is taken).
  using UnderlayPaths = std::vector<WireguardInterface::PeerPathMtu>;
  void add_path_counters(nlohmann::json& j, hybrid::PathKind kind,
                         const UnderlayPaths& wireguard_paths) const;
  // Kernel policy routing (hybrid_interface_kernel.cpp): the secondary's device configured, the
  // stale rules of a killed run removed, the plan installed; then, on the control thread, each
  // path's device routes follow its health, and the secondary's device is read.
  Result<Ok, std::string> start_kernel_policy();
  void sync_kernel_routes();
  void on_secondary_tun_readable();
  void stop_kernel_policy();
  nlohmann::json kernel_policy_json() const;

  control::NodeConfig config_;
  io::TunDevice tun_;
  // Kernel policy routing ([policy_routing] mode = "kernel"): the secondary's own device, the
  // plan, and whose device routes are in place (control thread).
  std::optional<io::TunDevice> secondary_tun_;
  std::optional<io::PolicyRoutes> policy_routes_;
  std::optional<KernelPolicy> kernel_policy_;
  std::array<bool, 2> kernel_routes_in_{};
  bool kernel_fixed_in_ = false;
  hybrid::AccountTable accounts_;
  // IPv4 addresses login backends gave accounts (assign_address), which every rebuilt table
  // keeps for them (control thread).
  std::map<std::string, IpAddress, std::less<>> assigned_;
  std::unique_ptr<WireguardInterface> wg_;
  unsigned wireguard_mtu_ = 0;  // the device's (wireguard_device_mtu)
  // The control paths, fixed after create(): a gateway's L2TP/IPsec and IKEv2 (either, both or
  // neither), a client's or site's one secondary.
  std::vector<std::unique_ptr<ControlSlot>> control_;
  // A client's on-demand secondary:
  bool hanging_up_ = false;            // it is saying goodbye; then it goes
  bool retire_control_path_ = false;   // its goodbye is done: drop it on the next wake
  bool redial_after_hang_up_ = false;  // dialled again while hanging up
  io::EventLoop* loop_ = nullptr;      // the WireGuard path's control loop
  io::EventLoop::TimerId fallback_timer_ = 0;
  bool stopping_ = false;
  // A gateway's accounts probed with ICMP echoes, and where (control thread).
  std::map<std::string, IpAddress> probe_targets_;

  std::mutex mutex_;                      // guards everything below
  std::condition_variable control_room_;  // the control thread took the pending queues
  std::optional<hybrid::GatewayRouter> router_;
  std::optional<hybrid::FallbackPath> fallback_;
  hybrid::TrafficPolicy policy_;  // a client's [[policy]] rules
  hybrid::FallbackPathOutput fallback_out_;
  struct InjectedPacket {
    std::vector<std::byte> bytes;
    bool mtu_probe = false;
  };
  std::vector<InjectedPacket> pending_wireguard_;   // probes and replies for the sender
  std::array<std::uint64_t, 2> tx_packets_seen_{};  // per role, at the last note_path_traffic()
  // What path MTU probing holds each role to (nullopt: nothing probed), for status; the device
  // MTU follows the smallest.
  std::array<std::optional<std::size_t>, 2> probed_mtu_{};
  ProbedDeviceMtu device_mtu_{1420};          // a client's: shows its smallest probed path
  std::optional<UnderlayRouteWatch> routes_;  // with probing: the routes to the probed paths
  std::array<hybrid::RetransmitWatch, 2> retransmit_watch_;  // per role; guarded by mutex_
  // A gateway: what each client (by inner address) last said it holds its WireGuard path to, and
  // the changes the control thread has yet to apply.
  std::map<IpAddress, std::uint16_t> client_holds_;
  std::vector<std::pair<IpAddress, std::uint16_t>> pending_client_holds_;
  std::vector<StateChange> pending_states_;
  Counters counters_;
  std::optional<IpAddress> l2tp_address_;  // client: what IPCP gave the secondary path
  std::optional<TimePoint> drill_until_;

  // WireGuard sender thread scratch: route_by_policy()'s verdict per packet (a PathRole, or
  // kDropVerdict).
  static constexpr std::uint8_t kDropVerdict = 0xff;
  std::vector<std::uint8_t> verdicts_;

  // Control thread scratch.
  io::PacketBatch secondary_read_;  // kernel policy routing: read from the secondary's device
  io::PacketBatch probe_batch_;
  io::PacketBatch fragments_;  // fit_to_path()'s fragments, sent after the batch  // the fallback's
                               // probes (and replies) for the control path
  std::vector<char> deliver_;  // inbound(span): which packets go to the device
};

}  // namespace tandem::daemon
