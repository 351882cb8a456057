// A nested interface: one tunnel carried inside another, in one process, on ONE TUN device.
//
// - WireGuard inside L2TP/IPsec or inside an ESP tunnel ([nesting] outer = "l2tp" or "ipsec"):
//   the device carries WireGuard's inner traffic; WireGuard's datagrams, instead of leaving on a
//   UDP socket, become IPv4 UDP packets from this node's address inside the outer tunnel (what
//   IPCP or the tunnel's addresses gave it) and go straight into the outer path; what the outer
//   path opens for WireGuard's port comes straight back to WireGuard. The [[peer]]'s endpoint is
//   the peer's address inside the outer tunnel.
// - L2TP/IPsec or an ESP tunnel inside WireGuard (outer = "wireguard"): the device carries the
//   inner tunnel's traffic; its IKE and ESP-in-UDP datagrams become UDP packets from this node's
//   [interface] address and ride WireGuard to the server's address inside the WireGuard tunnel.
//
// No datagram of the inner protocol ever reaches a socket or the kernel outside the outer tunnel:
// the inner protocol binds no socket at all (DatagramCarrier). The device's MTU is what the
// outer path carries less the inner protocol's overhead (hybrid/mtu_budget.hpp).
//
// Threads as in a hybrid interface (hybrid_interface.hpp): WireGuard's sender reads the device,
// its receiver opens what arrives, and the control thread runs L2TP/IPsec or the ESP tunnel.
// Packets cross between them through queues guarded by one mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "control/config.hpp"
#include "daemon/datagram_carrier.hpp"
#include "daemon/hybrid_link.hpp"
#include "daemon/ipsec_endpoint.hpp"
#include "daemon/wireguard_interface.hpp"
#include "io/event_loop.hpp"
#include "io/netlink.hpp"
#include "io/packet_batch.hpp"
#include "io/tun_device.hpp"
#include "io/unix_socket_server.hpp"
#include "packet/ipv4_reassembly.hpp"

namespace tandem::daemon {

// The device MTU of a nested config: what its outer path carries (an outer L2TP session: its
// [l2tp] mtu, settled by with_outer_l2tp_mtu()), less the inner protocol's layers (for L2TP/IPsec
// and ESP tunnels, those of the costliest suite they may negotiate, since the suite is known only
// later), and never more than the inner section's own mtu.
// `wireguard_mtu`: WireGuard's own (wireguard_device_mtu): the cap inside, the carrier outside.
unsigned nested_mtu(const control::NodeConfig& config, unsigned wireguard_mtu);

// `config` with an outer L2TP session's MTU settled when the file gives none: the budget over the
// path to `server` (l2tp_device_mtu), as that session itself will be sized. `why` says where it
// came from (left alone when there was nothing to settle).
control::NodeConfig with_outer_l2tp_mtu(const control::NodeConfig& config,
                                        const std::optional<Endpoint>& server,
                                        std::string* why = nullptr);

class NestedInterface final : public HybridLink, public DatagramCarrier {
 public:
  static Result<std::unique_ptr<NestedInterface>, std::string> create(
      const control::NodeConfig& config);
  ~NestedInterface() override;
  NestedInterface(const NestedInterface&) = delete;
  NestedInterface& operator=(const NestedInterface&) = delete;

  const std::string& name() const { return tun_.name(); }
  Result<Ok, std::string> start();
  // Runs until SIGTERM/SIGINT, which hang up the control path cleanly first.
  Result<Ok, std::string> run(const std::function<void()>& on_reload);
  // WireGuard's control loop, which the control path shares; after start().
  io::EventLoop& control_loop() { return *loop_; }
  std::string status_json();
  // For the admin socket: status_json() with the WireGuard and control paths' documents.
  nlohmann::json admin_document();

  // HybridLink
  void wireguard_outbound(io::PacketBatch& batch) override;
  void wireguard_injected(io::PacketBatch& batch) override;
  void inbound(hybrid::PathKind kind, io::PacketBatch& batch) override;
  void inbound(hybrid::PathKind kind, std::span<const ByteView> packets) override;
  void protocol_state(hybrid::PathKind kind, bool up, const std::string& detail,
                      std::optional<IpAddress> address) override;
  std::optional<HybridLogin> l2tp_login(std::string_view) override { return std::nullopt; }
  void session_down(hybrid::PathKind, const IpAddress&) override {}
  void on_control_wake() override;
  io::TunDevice& device() override { return tun_; }

  // DatagramCarrier: the inner protocol's datagrams into the outer path.
  void carry(io::PacketBatch& batch, std::size_t begin, std::size_t end,
             std::uint16_t source_port) override;
  void carry_one(ByteView datagram, const Endpoint& to, std::uint16_t source_port) override;

 private:
  struct Counters {
    std::uint64_t carried_out = 0;         // inner datagrams handed to the outer path
    std::uint64_t carried_in = 0;          // inner datagrams the outer path delivered
    std::uint64_t inner_sent = 0;          // device packets given to the inner path
    std::uint64_t delivered = 0;           // inner packets written to the device
    std::uint64_t dropped_outer_down = 0;  // no address inside the outer tunnel yet
    std::uint64_t dropped_queue_full = 0;  // the other thread had fallen behind
    std::uint64_t dropped_not_nested = 0;  // the outer path delivered something else
    std::uint64_t dropped_too_big = 0;     // a datagram larger than a slot
    std::uint64_t reassembled = 0;         // carried datagrams that arrived in fragments
  };

  NestedInterface(const control::NodeConfig& config, io::TunDevice tun, io::Netlink netlink);
  bool wireguard_inside() const { return outer_ != hybrid::PathKind::kWireguard; }
  // Builds the control path (L2TP/IPsec or the ESP tunnel): the outer one, or (carried) the
  // inner one on an endpoint whose datagrams go to this carrier.
  Result<Ok, std::string> make_control_path();
  // With mutex_ held: wraps `datagram` as UDP from `from` to `to` into `queue`.
  // With `lock` on mutex_: waits, bounded, for room for `n` packets in `queue` after waking
  // whoever drains it, since each drop costs the inner tunnel a retransmit. Not on the thread
  // that drains it.
  void wait_for_room(std::unique_lock<std::mutex>& lock, io::PacketBatch& queue, std::size_t n);
  bool wrap_into(io::PacketBatch& queue, ByteView datagram, const Endpoint& from,
                 const Endpoint& to);
  // This node's address inside the outer tunnel, as the inner protocol's datagrams leave from it.
  std::optional<IpAddress> outer_source() const;  // with mutex_ held
  // On the control thread: the inner L2TP session's address onto the device, or off it.
  void configure_inner_address(bool up, const std::optional<IpAddress>& address);
  Result<Ok, std::string> configure_device();
  void hang_up_for_stop(int sig);

  control::NodeConfig config_;
  hybrid::PathKind outer_;
  hybrid::PathKind control_kind_;  // the L2TP/IPsec or ESP tunnel path, inner or outer
  io::TunDevice tun_;
  io::Netlink netlink_;
  unsigned mtu_;
  std::shared_ptr<IpsecEndpoint> carried_ipsec_;  // outer = wireguard: the inner IPsec
  std::unique_ptr<ControlPath> control_path_;
  std::unique_ptr<WireguardInterface> wg_;
  io::EventLoop* loop_ = nullptr;  // WireGuard's control loop, shared by the control path
  bool stopping_ = false;
  std::optional<InterfaceAddress> inner_address_;  // on the device: the inner session's address

  std::mutex mutex_;                        // guards everything below
  std::uint16_t next_ip_id_ = 1;            // the carried IPv4 datagrams' identification (mutex_)
  std::condition_variable control_room_;    // to_control_ was drained
  std::condition_variable wireguard_room_;  // to_wireguard_ was drained
  std::atomic<std::thread::id> control_thread_;  // run()'s, which drains to_control_
  io::PacketBatch to_control_;    // for the control path (inner packets or wrapped datagrams)
  io::PacketBatch to_wireguard_;  // wrapped datagrams for WireGuard's sender
  io::PacketBatch to_ipsec_;      // datagrams WireGuard opened for the inner IPsec endpoint
  std::optional<IpAddress> outer_address_;  // WireGuard inside: IPCP's address or the tunnel's
  bool outer_up_ = false;
  std::string outer_detail_;
  std::vector<std::pair<bool, std::optional<IpAddress>>> inner_states_;  // for the control thread
  Counters counters_;

  // Control thread scratch.
  io::PacketBatch draining_;
  io::PacketBatch ipsec_draining_;
  packet::Ipv4Reassembler reassembler_;  // carried datagrams that arrive in fragments
  io::PacketBatch reassembled_;          // one slot for a whole datagram of up to 64 KB
};

}  // namespace tandem::daemon
