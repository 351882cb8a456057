// A running WireGuard interface: a TUN device, the UDP sockets, the sans-I/O wireguard::Device
// and the threads that move packets between them.
//
// Threads: a sender (TUN -> encrypt -> UDP) and a receiver (UDP -> decrypt -> TUN), each with
// its own event loop and a worker pool so the AEAD of a batch runs on every core; and the
// control thread (the caller of run()) with the UAPI socket, signals and the protocol timers.
// The Device is guarded by one mutex held only for the bookkeeping parts of each batch
// (prepare/complete), never while encrypting or decrypting.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "control/uapi.hpp"
#include "control/uapi_status.hpp"
#include "crypto/random.hpp"
#include "daemon/background_resolver.hpp"
#include "daemon/datagram_carrier.hpp"
#include "daemon/hybrid_link.hpp"
#include "daemon/key_groups.hpp"
#include "daemon/oversize_packets.hpp"
#include "daemon/peer_event_log.hpp"
#include "daemon/probed_device_mtu.hpp"
#include "daemon/wireguard_mtu_probing.hpp"
#include "hybrid/retransmit_watch.hpp"
#include "io/event_loop.hpp"
#include "io/packet_batch.hpp"
#include "io/system_clock.hpp"
#include "io/tun_device.hpp"
#include "io/udp_transport.hpp"
#include "io/unix_socket_server.hpp"
#include "io/worker_pool.hpp"
#include "wireguard/device.hpp"

namespace tandem::daemon {

class WireguardInterface {
 public:
  static Result<std::unique_ptr<WireguardInterface>, std::string> create(const std::string& name,
                                                                         unsigned mtu,
                                                                         std::uint16_t listen_port);
  // WireGuard as one path of a hybrid interface: it reads the hybrid interface's `tun` (which
  // must outlive it), keeps what `link` leaves it, and hands `link` what it opens.
  // With a `carrier` (nested in another path) it binds no socket: its datagrams go to the
  // carrier, from `listen_port`, and come back through receive_carried().
  static Result<std::unique_ptr<WireguardInterface>, std::string> create_path(
      io::TunDevice& tun, unsigned mtu, std::uint16_t listen_port, HybridLink& link,
      DatagramCarrier* carrier = nullptr);
  ~WireguardInterface();

  const std::string& name() const { return tun_->name(); }
  int ifindex() const { return tun_->index(); }
  // Packets the engine dropped for `reason` (e.g. kSourceNotAllowed: cryptokey routing refused
  // an inner source that is not the peer's).
  std::uint64_t drops(wireguard::DropReason reason);
  // Path mode: the sender thread takes the link's injected packets now.
  void wake_sender();
  // Nested mode, any thread: a datagram the outer path opened for this interface, from `from`
  // (an address inside the outer tunnel); the receiver thread opens it. Dropped when the
  // receiver has fallen a batch behind.
  void receive_carried(ByteView datagram, const Endpoint& from);
  std::uint16_t listen_port() const { return udp_ ? udp_->port() : carried_port_; }
  // Inner packets too big for the underlay path to their peer (learned from ICMP on the
  // sockets): answered with ICMP, fragmented, or neither possible (oversize_packets.hpp).
  OversizeTally oversize() const;
  // Each peer whose underlay path is known to be smaller than the device MTU allows.
  struct PeerPathMtu {
    std::string peer;       // its name, as log lines give it
    Endpoint endpoint;      // where the path leads
    std::size_t path_mtu;   // what the last report said the underlay carries
    std::size_t inner_mtu;  // what packets to the peer are held to
  };
  std::vector<PeerPathMtu> learned_path_mtus();
  // Holds the peer with `public_key` to what path MTU probes found its path to carry (an inner
  // packet size; nullopt: nothing measured, the device MTU holds). Any thread.
  void set_peer_probed_mtu(const wireguard::PublicKey& public_key, std::optional<std::size_t> mtu);
  // Keys that share their account's addresses (key_groups.hpp): `key` in `group` (0: none),
  // holding them now or not.
  void set_key_group(const wireguard::PublicKey& key, std::uint32_t group, bool holds);
  // The key that holds `inner` now (cryptokey routing), if any.
  std::optional<wireguard::PublicKey> key_for(const IpAddress& inner);
  // The peer's endpoint now (configured, resolved or roamed to), if it has one.
  std::optional<Endpoint> peer_endpoint(const wireguard::PublicKey& public_key);
  // The same for the peer whose allowed IPs take `inner` (a gateway's account, by its address).
  // The peer's name, or nothing when no peer takes it.
  std::optional<std::string> set_probed_mtu_for(const IpAddress& inner,
                                                std::optional<std::size_t> mtu);
  // The status (WireguardMtuProbing::peer_status: "mtu", "mtu_probe", "mtu_probe_target") of
  // the peer whose allowed IPs take `inner` (a gateway's account, by its address); null when no
  // peer takes it.
  nlohmann::json peer_mtu_status_for(const IpAddress& inner);
  // Path MTU probing with ICMP echoes (wireguard_mtu_probing.hpp): the interface's addresses the
  // probes leave from, and how long a completed search waits before looking upwards again.
  // `watched_flows`: the slots of the table that spots large TCP segments sent again
  // (hybrid::RetransmitWatch), more for a gateway whose many peers each carry flows.
  void configure_mtu_probing(std::vector<IpAddress> sources, Duration raise_interval,
                             std::size_t watched_flows = hybrid::RetransmitWatch::kDefaultFlows);
  // Probes the path to the peer with `public_key` through `target` (an address of the peer that
  // answers pings); nullopt stops it. Refused without an interface address of its family.
  Result<Ok, std::string> set_mtu_probe_target(const wireguard::PublicKey& public_key,
                                               const std::optional<IpAddress>& target);
  // Holds each peer to the path MTU the kernel already knows towards its endpoint, where that
  // is less than the device MTU needs (an MTU set by hand, a path ICMP shrank before we started,
  // a device kept at IPv6's 1280 over a smaller path): from the first packet, not the first loss.
  void hold_peers_to_known_paths();

  // Applies a UAPI set (also how `tandem up` loads its config). Returns an errno (0 = ok).
  int apply(const control::UapiSet& set);
  control::UapiDeviceState snapshot();
  // A UAPI request, or "status\n\n": what `tandem status` shows beyond `wg` (status_json()).
  std::string handle_uapi(std::string_view request);
  // Per peer, by base64 public key: the MTU its packets are held to, the device's, and its path
  // MTU probing ("mtu_probe"); the packets dropped by reason ("drops"); a JSON document ending
  // in a blank line.
  std::string status_json();
  // What `wg show` shows merged with status_json(): the admin socket's view of this interface.
  control::InterfaceStatus interface_status();

  // The name log lines give the peer with this key (a peer without one is shown by the first 8
  // characters of its base64 key).
  void set_peer_name(const wireguard::PublicKey& peer, std::string name);
  std::string peer_name(const wireguard::PublicKey& peer);
  // Keeps resolving `host` for the peer in the background (backing off from 1 s to 60 s) and
  // sets the peer's endpoint when it resolves: for a name that did not resolve at start-up.
  void resolve_endpoint_in_background(const wireguard::PublicKey& peer, const std::string& host,
                                      std::uint16_t port);

  // Starts moving packets (the data threads) before run(): a configured interface should be
  // forwarding by the time its UAPI socket appears, since tools take the socket as "up".
  void start();
  Result<Ok, std::string> serve_uapi(const std::string& socket_path);
  // Starts the data threads and runs the control loop until SIGTERM or SIGINT.
  Result<Ok, std::string> run();
  io::EventLoop& control_loop() { return *control_loop_; }

 private:
  WireguardInterface(std::optional<io::TunDevice> own_tun, io::TunDevice* tun, HybridLink* link,
                     std::optional<io::UdpTransport> udp, DatagramCarrier* carrier,
                     std::uint16_t carried_port, std::unique_ptr<io::EventLoop> control_loop);
  static Result<std::unique_ptr<WireguardInterface>, std::string> assemble(
      std::optional<io::TunDevice> own_tun, io::TunDevice* tun, HybridLink* link, unsigned mtu,
      std::uint16_t listen_port, DatagramCarrier* carrier);
  // Onto the sockets, or to the carrier.
  void send_datagrams(io::PacketBatch& batch);
  // Opens the first `n` datagrams of rx_batch_ and writes what they carried (receiver thread).
  void open_received(std::size_t n);
  void on_receiver_wake();
  // Seals the packets in tx_batch_ and sends them, then the fragments of those too big for their
  // peer's path (sender thread).
  void seal_and_send();
  void seal_batch_and_send();
  // EPOLLERR on a socket: its queued delivery errors, too-big reports to the device.
  void on_udp_errors(io::UdpSocket& socket);
  void on_sender_wake();
  void start_data_threads();
  void stop_data_threads();
  void sender_main();
  void receiver_main();
  void on_tun_readable();
  void read_tun_batch();
  void on_udp_readable(io::UdpSocket& socket);
  void on_timer();
  // Seals and sends the path MTU probes in probe_batch_ that the device took (control thread).
  void send_probes();
  void send_control(io::PacketBatch& batch);
  void on_wake();
  void apply_resolved_endpoints();

  std::optional<io::TunDevice> own_tun_;       // a plain interface's device
  io::TunDevice* tun_;                         // own_tun_, or the hybrid interface's device
  HybridLink* link_;                           // null for a plain interface
  std::size_t mtu_ = 1420;                     // the device's: TCP MSS is clamped to fit it
  std::optional<ProbedDeviceMtu> device_mtu_;  // a plain interface's, on one peer's probing
  std::optional<io::UdpTransport> udp_;        // none when nested
  DatagramCarrier* carrier_;                   // nested: where datagrams go instead
  std::uint16_t carried_port_;                 // nested: the port they are sent from
  std::mutex carried_mutex_;
  io::PacketBatch carried_in_;  // guarded by carried_mutex_: receive_carried()'s datagrams
  crypto::SystemRng rng_;
  io::SystemWallClock wall_;
  std::mutex mutex_;
  wireguard::Device device_;
  PeerEventLog events_;                  // guarded by mutex_, like device_
  WireguardMtuProbing mtu_probing_;      // guarded by mutex_, like device_
  KeyGroups key_groups_;                 // guarded by mutex_, like device_
  hybrid::RetransmitWatch retransmits_;  // for mtu_probing_; guarded by mutex_

  std::unique_ptr<io::EventLoop> control_loop_;
  io::EventLoop::TimerId timer_ = 0;
  std::unique_ptr<io::UnixSocketServer> uapi_;
  // After control_loop_: it wakes that loop, so it must go first.
  std::unique_ptr<BackgroundResolver> resolver_;

  std::unique_ptr<io::EventLoop> sender_loop_;
  std::unique_ptr<io::EventLoop> receiver_loop_;
  std::thread sender_;
  std::thread receiver_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shutdown_requested_{false};
  std::atomic<bool> gso_lost_{false};  // logged once: a socket turned UDP GSO off
  io::WorkerPool sender_pool_;
  io::WorkerPool receiver_pool_;

  // Per-thread scratch, allocated once.
  io::PacketBatch tx_batch_, rx_batch_, tx_control_, rx_control_, timer_control_, tun_out_;
  io::PacketBatch tx_fragments_;  // seal_batch_and_send()'s fragments of packets too big
  io::PacketBatch probe_batch_;   // on_timer()'s path MTU probes
  std::vector<wireguard::SealJob> probe_jobs_;
  std::atomic<std::uint64_t> too_big_icmp_{0}, too_big_fragmented_{0}, too_big_dropped_{0};
  std::vector<wireguard::SealJob> seal_jobs_;
  std::vector<wireguard::SendVerdict> send_verdicts_;
  std::vector<wireguard::OpenJob> open_jobs_;
  std::vector<wireguard::ReceiveVerdict> receive_verdicts_;
  std::vector<char> opened_;
};

}  // namespace tandem::daemon
