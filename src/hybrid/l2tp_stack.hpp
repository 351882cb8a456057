// L2TP tunnels carrying PPP sessions, joined to one TUN device: the whole of an L2TP gateway
// (LNS) or client (LAC) apart from its sockets. It owns an l2tp::Node and one ppp::Link per
// session, hands each authenticated gateway session an address from the pool, routes inner IPv4
// packets to the session that owns the address (the destination on a gateway, the source on a
// client), and on a client dials again with backoff when a session or the tunnel is lost.
// Sans-I/O and single-threaded like the engines it joins.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/packet.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "hybrid/address_pool.hpp"
#include "l2tp/node.hpp"
#include "ppp/link.hpp"

namespace tandem::hybrid {

enum class L2tpRole : std::uint8_t { kLns, kLac };

struct L2tpCallCredentials {
  std::string user;
  std::string password;
};

struct L2tpStackConfig {
  L2tpRole role = L2tpRole::kLac;
  l2tp::NodeConfig node;
  // Gateway: demanded of clients; client: answered with. Most preferred first.
  std::vector<ppp::AuthMethod> auth;
  std::uint16_t mru = 1400;
  Duration echo_interval = std::chrono::seconds(10);
  // Gateway
  IpAddress gateway_address;  // our end of every PPP link
  std::optional<IpAddress> pool_first;
  std::optional<IpAddress> pool_last;
  std::vector<IpAddress> dns;  // at most two
  // Negotiate IPV6CP and carry IPv6 (a hybrid: the gateway gives each session its account's
  // IPv6 address at the verdict and checks the sources against it; IPV6CP itself only agrees
  // on link-local identifiers). Off by default: plain L2TP has no way to hand out IPv6.
  bool ipv6 = false;
  // Client
  Endpoint server;
  std::vector<L2tpCallCredentials> calls;
  bool redial = true;
  Duration redial_min = std::chrono::seconds(1);
  Duration redial_max = std::chrono::seconds(60);
};

enum class L2tpEventType : std::uint8_t {
  kTunnelUp,
  kTunnelDown,
  kAuthenticated,  // gateway: a user logged in
  kLinkUp,         // IPCP is open: `local` and `remote` are the two ends
  kLinkDown,       // the session is gone; `local`/`remote` set when it had been up
};

struct L2tpEvent {
  L2tpEventType type = L2tpEventType::kTunnelUp;
  l2tp::SessionRef ref;
  Endpoint peer;
  std::string user;
  std::optional<IpAddress> local;
  std::optional<IpAddress> remote;
  std::vector<IpAddress> dns;
  std::string detail;
  // kLinkDown: what the session carried over its life (L2tpSessionInfo's counts), for accounting.
  std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
};

struct L2tpAuthTicket {
  l2tp::SessionRef ref;
  ppp::AuthRequest request;
  Endpoint peer;  // where the tunnel comes from (behind IPsec: the IKE peer's address)
};

// A session's peer answered an echo probe (L2tpStack::send_echo_probe).
struct L2tpProbeReply {
  l2tp::SessionRef ref;
  ppp::EchoProbeReply reply;
};

struct L2tpStackOutput {
  std::vector<l2tp::OutDatagram> datagrams;
  std::vector<ByteView> to_tun;  // inner packets; they view the datagram given to on_datagram
  // Beside to_tun: the MTU of the session each came from (L2tpInnerRoute::mtu), so that a SYN
  // asks the hosts on this side for segments that session carries.
  std::vector<std::size_t> to_tun_mtu;
  std::vector<L2tpEvent> events;
  std::vector<L2tpAuthTicket> auth_requests;  // answer each with auth_verdict()
  std::vector<L2tpProbeReply> probe_replies;
  void clear() {
    probe_replies.clear();
    datagrams.clear();
    to_tun.clear();
    to_tun_mtu.clear();
    events.clear();
    auth_requests.clear();
  }
};

struct L2tpStackStats {
  std::uint64_t to_tun = 0;
  std::uint64_t from_tun = 0;
  std::uint64_t no_route = 0;        // inner packet for an address no session owns
  std::uint64_t spoofed = 0;         // a client sent from an address it was not given
  std::uint64_t not_ipv4 = 0;        // IPv6 without ipv6 (or IPV6CP) carried, or not IP at all
  std::uint64_t pool_exhausted = 0;  // logins refused for lack of an address
  std::uint64_t address_in_use = 0;  // logins refused: the address given them was another's
};

// A session as the status view shows it.
struct L2tpSessionInfo {
  l2tp::SessionRef ref;
  Endpoint peer;
  std::string user;
  std::optional<IpAddress> local;
  std::optional<IpAddress> remote;
  ppp::Phase phase = ppp::Phase::kDead;
  bool up = false;
  std::uint16_t peer_mru = 0;  // the largest frame the peer takes (its LCP MRU); 0 before LCP
  // Inner packets through the session: received from the peer (delivered) and sent to it.
  std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  std::optional<TimePoint> last_echo_reply;  // the peer's last answer to an LCP echo
};

// Where L2tpStack::on_inner_packet() sent a packet.
struct L2tpInnerRoute {
  l2tp::SessionRef ref;
  // The largest inner packet the session carries now: the MRU, or what hold_session_mtu() says.
  std::size_t mtu = 0;
};

class L2tpStack {
 public:
  // Bytes an inner packet needs in front of it for on_inner_packet(): PPP, then L2TP.
  static constexpr std::size_t kHeadroom = ppp::kFrameHeaderSize + l2tp::Node::kDataHeadroom;

  L2tpStack(L2tpStackConfig config, Rng& rng);
  L2tpStack(const L2tpStack&) = delete;
  L2tpStack& operator=(const L2tpStack&) = delete;

  // Client: dials the server and places every configured call. Gateway: nothing to do.
  void start(TimePoint now, L2tpStackOutput& out);
  // Closes every tunnel (StopCCN) and stops dialling; done() once the peers acknowledged.
  void stop(TimePoint now, L2tpStackOutput& out);
  bool done() const { return stopping_ && node_.tunnel_count() == 0; }

  void on_datagram(ByteView datagram, const Endpoint& from, TimePoint now, L2tpStackOutput& out);
  void on_timer(TimePoint now, L2tpStackOutput& out);
  TimePoint next_deadline() const;
  // The decision on an AuthRequest (gateway). Ignored if that session is gone. `address`, when
  // given, is the one IPCP hands the session (the user's account address in a hybrid gateway);
  // otherwise the pool leases one. `address6` is the session's IPv6 address where IPv6 is
  // carried. With `exclusive` (an address a login backend chose) a login whose address another
  // session holds, or the pool has handed out, is refused instead; one in the pool is taken out.
  void auth_verdict(l2tp::SessionRef ref, const ppp::AuthVerdict& verdict, TimePoint now,
                    L2tpStackOutput& out, std::optional<IpAddress> address = std::nullopt,
                    std::optional<IpAddress> address6 = std::nullopt, bool exclusive = false);

  // An inner packet from the TUN device, with kHeadroom in front of it: wrapped in PPP and L2TP
  // in place, its endpoint set to the peer. Nullopt when no open session takes it (counted).
  std::optional<L2tpInnerRoute> on_inner_packet(Packet& packet);
  // What session `ref`'s packets are held to from now on (what path MTU probing found; nullopt:
  // the MRU). Kept with the session, so routing a packet finds it without another lookup.
  void hold_session_mtu(l2tp::SessionRef ref, std::optional<std::size_t> mtu);

  // A path MTU probe on session `ref`: an LCP Echo-Request whose PPP information field is
  // `size` bytes (ppp::Link::send_echo_probe); the reply comes in `out.probe_replies`. False when
  // the session is gone, not up, or cannot send that size.
  bool send_echo_probe(l2tp::SessionRef ref, std::uint32_t probe_id, std::size_t size,
                       TimePoint now, L2tpStackOutput& out);

  // Gateway: ends the session that holds inner address `address` (its account was disabled or
  // revoked): PPP terminates with `reason`, then the call is cleared (CDN). False when no session
  // holds it.
  bool hang_up(const IpAddress& address, const std::string& reason, TimePoint now,
               L2tpStackOutput& out);

  std::vector<L2tpSessionInfo> sessions() const;
  const L2tpStackStats& stats() const { return stats_; }
  std::uint16_t mru() const { return config_.mru; }
  const l2tp::Node& node() const { return node_; }

 private:
  struct Session {
    l2tp::SessionRef ref;
    Endpoint peer;
    std::unique_ptr<ppp::Link> link;  // from the moment the L2TP session is established
    std::string user;
    std::optional<IpAddress> address;   // gateway: the client's; client: ours
    std::optional<IpAddress> address6;  // gateway: the client's IPv6 address, if it has one
    std::optional<std::size_t> call;    // client: which configured call this is
    bool up = false;                    // IPCP open: IPv4 passes
    bool routed = false;  // IPCP has been up: by_address_ routes `address` to this session
    bool up6 = false;     // IPV6CP open (and, on a gateway, address6 routed)
    bool closing = false;
    std::size_t held_mtu = 0;  // hold_session_mtu(); 0: the MRU
    std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  };
  struct Call {
    std::optional<l2tp::SessionRef> session;
    TimePoint redial_at = TimePoint::max();
    unsigned failures = 0;
  };

  void drain(TimePoint now, L2tpStackOutput& out);
  void on_l2tp_event(const l2tp::Event& e, TimePoint now, L2tpStackOutput& out);
  void on_session_up(const l2tp::Event& e, TimePoint now, L2tpStackOutput& out);
  void on_session_down(const l2tp::Event& e, TimePoint now, L2tpStackOutput& out);
  void on_ppp_frame(const l2tp::PppFrame& f, TimePoint now, L2tpStackOutput& out);
  void handle_link_output(Session& s, TimePoint now, L2tpStackOutput& out);
  void on_link_up(Session& s, L2tpStackOutput& out);
  // The largest inner packet session `s` carries now.
  std::size_t session_mtu(const Session& s) const {
    return s.held_mtu != 0 ? std::min<std::size_t>(s.held_mtu, config_.mru) : config_.mru;
  }
  void on_ipv6_up(Session& s);
  void deliver_ipv6(Session& s, L2tpStackOutput& out);
  // The session an outbound IPv6 packet goes to (gateway: by destination; client: its one).
  Session* ipv6_route(ByteView packet);
  void send_ppp(const Session& s, ByteView frame, L2tpStackOutput& out);
  void dial(std::size_t call, TimePoint now);
  void schedule_redial(std::size_t call, TimePoint now);
  ppp::LinkConfig link_config(const Session& s) const;

  L2tpStackConfig config_;
  Rng* rng_;
  l2tp::Node node_;
  std::optional<AddressPool> pool_;
  std::map<l2tp::SessionRef, Session> sessions_;
  std::unordered_map<std::uint32_t, l2tp::SessionRef> by_address_;
  std::map<IpAddress, l2tp::SessionRef> by_address6_;
  std::vector<Call> calls_;
  std::optional<std::uint16_t> tunnel_;  // client: the tunnel the calls ride
  bool stopping_ = false;
  L2tpStackStats stats_;
  // Scratch reused across inputs, so steady-state data allocates nothing.
  l2tp::Actions actions_;
  std::vector<l2tp::Event> events_;
  std::vector<l2tp::PppFrame> frames_;
  ppp::LinkOutput link_out_;
  std::vector<std::byte> frame_scratch_;
};

}  // namespace tandem::hybrid
