// IPsec on a node's sockets: UDP 500 and 4500 (IPv4) and the sans-I/O IpsecStack, on one event
// loop thread. What ESP carried goes to its users through handlers (the L2TP interface for
// transport mode, a TUN device or a hybrid path for tunnel mode); what a user sends is sealed in
// place in its own batches and leaves from port 4500. IKE events become log lines here: a refused
// client's proposal, an SA coming up with its suite, a dead peer.
//
// One endpoint may run an IKEv1 and an IKEv2 engine side by side, shared by two users (a hybrid
// gateway's L2TP/IPsec sessions and its IKEv2 road warriors): each user attaches with its IKE
// version and hears only its engine's events and SAs; transport-mode payloads go to the user
// that takes them, tunnel-mode packets likewise.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "crypto/random.hpp"
#include "daemon/datagram_carrier.hpp"
#include "hybrid/ipsec_stack.hpp"
#include "hybrid/underlay_mtus.hpp"
#include "io/event_loop.hpp"
#include "io/packet_batch.hpp"
#include "io/udp_socket.hpp"

namespace tandem::daemon {

class IpsecEndpoint {
 public:
  struct Handlers {
    // A transport-mode UDP payload; it views the received datagram, valid during the call.
    std::function<void(const hybrid::TransportDelivery&)> on_transport;
    // Tunnel-mode inner packets opened from one datagram, likewise.
    std::function<void(std::span<const ByteView>)> on_tunnel;
    std::function<void(const hybrid::ChildSaChange&)> on_child;
    std::function<void(const ipsec::ike::Event&)> on_event;
  };

  // Makes the IKE engine with the endpoint's own random source.
  using EngineFactory = std::function<std::unique_ptr<ipsec::ike::Engine>(Rng&)>;

  // Binds UDP 500 and 4500 on every IPv4 address, and with `raw_esp` a raw socket for ESP that
  // peers send unencapsulated (IP protocol 50, when no NAT is between them and nobody forces UDP).
  // `local_address`, when given, is what IKE speaks from; otherwise the route towards each peer
  // decides. One engine per factory, each of another IKE version.
  static Result<std::shared_ptr<IpsecEndpoint>, std::string> create(
      std::optional<IpAddress> local_address, const std::vector<EngineFactory>& make_engines,
      bool raw_esp);
  // IPsec nested in another path: no sockets; IKE and ESP-in-UDP datagrams go to `carrier`
  // (which must outlive the endpoint) from `local_address` (this node's address inside the
  // outer tunnel), and come back through receive_carried(). ESP always rides UDP 4500 then.
  static std::shared_ptr<IpsecEndpoint> create_carried(
      const IpAddress& local_address, const std::vector<EngineFactory>& make_engines,
      DatagramCarrier& carrier);
  ~IpsecEndpoint();
  IpsecEndpoint(const IpsecEndpoint&) = delete;
  IpsecEndpoint& operator=(const IpsecEndpoint&) = delete;

  // A user of the engine of `ike_version` starts listening; the first one registers the sockets
  // and timer with `loop` (every user must share it). detach() before a user goes away.
  Result<Ok, std::string> attach(io::EventLoop& loop, int ike_version, Handlers handlers);
  void detach(int ike_version);
  Result<std::uint64_t, std::string> initiate(int ike_version, std::string_view peer_name,
                                              const IpAddress& peer_address);
  // Closes the IKE SAs of `ike_version` (0: every version), telling the peers.
  void close_all(int ike_version = 0);
  // The engine of `ike_version` asks `gate` before each IKE_AUTH it answers (the gate must
  // outlive the endpoint's use of it: reset it to null before it goes).
  bool set_login_gate(int ike_version, ipsec::ike::LoginGate* gate) {
    return stack_.set_login_gate(ike_version, gate);
  }
  // The engine of `ike_version` takes the peers of `config` (hybrid::IpsecStack::replace_peers).
  bool replace_peers(int ike_version, const ipsec::ike::v2::Config& config);

  // Nested, on the loop's thread: a datagram the outer path opened for IKE (UDP 500) or ESP in
  // UDP (4500), `local_port` its destination port; its slot is opened in place.
  void receive_carried(Packet& datagram, std::uint16_t local_port);

  // Seals every packet of `batch` (UDP payloads, each for its `endpoint`, with
  // hybrid::IpsecStack::kHeadroom in front) that an SA carries in transport mode and sends them;
  // afterwards `batch` holds only the packets no SA carries, untouched.
  void send_transport_batch(io::PacketBatch& batch, std::uint16_t source_port,
                            std::uint16_t destination_port);
  // One UDP payload (a control message): copied into a slot, sealed and sent.
  bool send_transport(ByteView payload, const Endpoint& to, std::uint16_t source_port,
                      std::uint16_t destination_port);
  // Seals every inner packet of `batch` in tunnel mode and sends those an SA carries.
  void send_tunnel_batch(io::PacketBatch& batch);

  const hybrid::IpsecStack& stack() const { return stack_; }
  // The peer whose tunnel-mode SA would carry `inner` (hybrid::IpsecStack::tunnel_peer).
  std::optional<IpAddress> tunnel_peer(ByteView inner) { return stack_.tunnel_peer(inner); }
  // The underlay's path MTU towards `peer` while a too-big report about our ESP holds (ICMP on
  // the NAT-T socket, underlay_mtus.hpp); none when nothing says the path is small. On the
  // loop's thread.
  std::optional<std::size_t> underlay_mtu(const IpAddress& peer) const;
  const hybrid::UnderlayMtus& underlay_mtus() const { return underlay_mtus_; }
  // {"ike_version", "ike_sas": [...], "child_sas": [...], "counters": {...}} for status views:
  // the SAs of `ike_version`'s engine; the socket counters are the endpoint's.
  nlohmann::json status_json(int ike_version) const;

 private:
  IpsecEndpoint(const std::vector<EngineFactory>& make_engines, std::optional<IpAddress> local,
                std::optional<io::UdpSocket> ike, std::optional<io::UdpSocket> nat_t,
                std::optional<io::UdpSocket> raw_esp, DatagramCarrier* carrier);
  void on_readable(io::UdpSocket& socket);
  // EPOLLERR on the NAT-T socket: its queued delivery errors; too-big ones to underlay_mtus_.
  void on_errors(io::UdpSocket& socket);
  void on_timer();
  // Sends, delivers and logs what the stack produced, then re-arms the timer.
  void process();
  void send_sealed(io::PacketBatch& batch, std::size_t count);
  IpAddress local_towards(const IpAddress& peer);
  void log_event(const hybrid::IpsecEvent& e) const;
  // The users' handlers: of one IKE version, or the first that has `member`.
  const Handlers* handlers_of(int ike_version) const;
  template <typename Member>
  const Handlers* handlers_with(Member member) const;

  std::optional<IpAddress> local_address_;
  std::map<IpAddress, IpAddress> local_by_peer_;
  crypto::SystemRng rng_;
  hybrid::IpsecStack stack_;
  hybrid::UnderlayMtus underlay_mtus_;
  // The sockets, or (nested) the carrier.
  std::optional<io::UdpSocket> ike_;
  std::optional<io::UdpSocket> nat_t_;
  std::optional<io::UdpSocket> raw_esp_;
  DatagramCarrier* carrier_ = nullptr;
  io::EventLoop* loop_ = nullptr;
  io::EventLoop::TimerId timer_ = 0;
  std::map<int, Handlers> handlers_;  // by IKE version
  bool processing_ = false;           // process() is running (handlers may call back into it)
  hybrid::IpsecOutput out_;
  io::PacketBatch rx_batch_;
  io::PacketBatch control_batch_;  // one slot, for send_transport()
};

}  // namespace tandem::daemon
