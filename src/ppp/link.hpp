// One PPP link (RFC 1661 section 3 phases): LCP establishment, authentication in either
// direction, then IPCP and IPV6CP; LCP echo as a liveness probe; Protocol-Reject for anything
// unknown; and IP packets in and out once their NCP is open. Sans-I/O and single-threaded: PPP
// frames and `now` in, frames to send, IP packets and events out.
//
// Path MTU probes are LCP Echo-Requests carrying data (RFC 1661 section 5.8 allows data up to the
// peer's MRU), sized so the whole PPP information field is the size tested: the far end's
// Echo-Reply says a frame that large arrived. Their identifiers lie in a range of their own, so
// a lost probe never counts against the small liveness echoes, and a reply is reported with the
// probe id the caller gave.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/packet.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "ppp/auth.hpp"
#include "ppp/ipcp.hpp"
#include "ppp/ipv6cp.hpp"
#include "ppp/lcp.hpp"
#include "ppp/option_fsm.hpp"

namespace tandem::ppp {

struct LinkConfig {
  // Gateway: demand these of the peer, most preferred first. Client: leave empty.
  std::vector<AuthMethod> demand_auth;
  // Client: the methods we answer, and our credentials.
  std::vector<AuthMethod> allow_auth;
  std::string username;
  std::string password;
  std::string name = "tandem";  // our name in CHAP challenges
  std::uint16_t mru = 1400;
  IpcpSettings ipcp;
  bool ipv6 = true;
  Duration echo_interval = std::chrono::seconds(10);
  int echo_failures = 5;  // consecutive unanswered echo requests before the link is declared dead
};

enum class Phase : std::uint8_t { kDead, kEstablish, kAuthenticate, kNetwork, kTerminate };

enum class LinkEventType : std::uint8_t {
  kAuthRequest,    // gateway: decide, then call auth_verdict()
  kAuthenticated,  // detail: the user name
  kIpcpUp,
  kIpv6cpUp,
  // IPCP (IPV6CP) left Opened while LCP stays up: renegotiating, e.g. after the peer sent a new
  // Configure-Request. No packets of that family pass until it is up again.
  kIpcpDown,
  kIpv6cpDown,
  kDown,  // the link is dead; detail says why
};

struct LinkEvent {
  LinkEventType type;
  std::string detail;
  std::optional<AuthRequest> auth;
};

// The peer answered an echo probe (Link::send_echo_probe).
struct EchoProbeReply {
  std::uint32_t probe_id = 0;
  // The reply's information field: the probe's size when the peer echoed its data, smaller when
  // it did not (a reply still says the probe arrived).
  std::size_t size = 0;
};

struct LinkOutput {
  std::vector<std::vector<std::byte>> frames;
  std::vector<LinkEvent> events;
  std::vector<ByteView> ipv4_packets;  // view the input frame
  std::vector<ByteView> ipv6_packets;
  std::vector<EchoProbeReply> probe_replies;
  void clear() {
    frames.clear();
    events.clear();
    ipv4_packets.clear();
    ipv6_packets.clear();
    probe_replies.clear();
  }
};

struct LinkStats {
  std::uint64_t malformed = 0;
  std::uint64_t protocol_rejects_sent = 0;
  std::uint64_t discarded_before_open = 0;
  std::uint64_t echo_requests_sent = 0;
  std::uint64_t echo_probes_sent = 0;
  std::uint64_t echo_probe_replies = 0;
};

// The smallest echo probe: code, identifier, length and the magic number.
inline constexpr std::size_t kEchoProbeMinSize = 8;

class Link {
 public:
  Link(LinkConfig config, Rng& rng);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // The lower layer (an L2TP session) is up: start LCP.
  void start(TimePoint now, LinkOutput& out);
  // Administrative close: LCP Terminate-Request.
  void stop(std::string_view reason, TimePoint now, LinkOutput& out);
  // The lower layer went away.
  void lower_down(LinkOutput& out);

  void on_frame(ByteView frame, TimePoint now, LinkOutput& out);
  void on_timer(TimePoint now, LinkOutput& out);
  TimePoint next_deadline() const;
  void auth_verdict(const AuthVerdict& verdict, TimePoint now, LinkOutput& out);
  // Gateway: the address IPCP hands the peer. Call before the network phase (typically just
  // before an accepting auth_verdict), as it is chosen per user.
  void assign_peer_address(const IpAddress& address) { ipcp_n_.assign_peer_address(address); }

  // Sends an LCP Echo-Request whose information field (the LCP packet) is `size` bytes, the size
  // of an IP packet the link should carry; its reply comes back in `out.probe_replies` with
  // `probe_id`. False when LCP is not open or `size` is below kEchoProbeMinSize or over the
  // peer's MRU.
  bool send_echo_probe(std::uint32_t probe_id, std::size_t size, LinkOutput& out);

  // Prepends FF 03 and the protocol (needs kFrameHeaderSize of headroom). False when that
  // protocol's NCP is not open.
  bool encapsulate(Protocol protocol, Packet& packet) const;

  Phase phase() const { return phase_; }
  FsmState lcp_state() const { return lcp_.state(); }
  FsmState ipcp_state() const { return ipcp_.state(); }
  FsmState ipv6cp_state() const { return ipv6cp_.state(); }
  bool ipcp_open() const { return ipcp_.opened(); }
  bool ipv6cp_open() const { return ipv6cp_.opened(); }
  const LcpNegotiator& lcp() const { return lcp_n_; }
  const IpcpNegotiator& ipcp() const { return ipcp_n_; }
  const Ipv6cpNegotiator& ipv6cp() const { return ipv6cp_n_; }
  const std::string& peer_name() const { return peer_name_; }
  const LinkStats& stats() const { return stats_; }
  // When the peer last answered a liveness echo (LCP Echo-Reply); nullopt before the first.
  std::optional<TimePoint> last_echo_reply() const { return last_echo_reply_; }

 private:
  void apply(FsmOutput& fsm, TimePoint now, LinkOutput& out);
  void apply_auth(AuthOutput& a, TimePoint now, LinkOutput& out);
  void on_lcp_up(TimePoint now, LinkOutput& out);
  void maybe_enter_network(TimePoint now, LinkOutput& out);
  void on_lcp_extra(const ControlPacket& p, TimePoint now, LinkOutput& out);
  void send_protocol_reject(std::uint16_t protocol, ByteView information, LinkOutput& out);
  // The next identifier for a liveness echo or a reject, below kEchoProbeIdentifiers.
  std::uint8_t next_identifier();
  void on_echo_reply(const ControlPacket& p, TimePoint now, LinkOutput& out);
  void die(std::string reason, LinkOutput& out);

  LinkConfig config_;
  Rng* rng_;
  LcpNegotiator lcp_n_;
  IpcpNegotiator ipcp_n_;
  Ipv6cpNegotiator ipv6cp_n_;
  OptionFsm lcp_;
  OptionFsm ipcp_;
  OptionFsm ipv6cp_;
  Authenticator authenticator_;
  AuthPeer auth_peer_;
  Phase phase_ = Phase::kDead;
  bool we_authenticated_peer_ = false;
  bool peer_authenticated_us_ = false;
  bool reported_down_ = false;
  std::string down_reason_;
  std::string peer_name_;
  // LCP identifiers from kEchoProbeIdentifiers up belong to echo probes; each slot holds the
  // probe id its latest request carried, until the reply.
  static constexpr std::uint8_t kEchoProbeIdentifiers = 0x80;
  std::uint8_t echo_id_ = 0;
  std::uint8_t probe_slot_ = 0;
  std::array<std::optional<std::uint32_t>, 256 - kEchoProbeIdentifiers> probe_ids_{};
  int echo_outstanding_ = 0;
  TimePoint next_echo_ = TimePoint::max();
  LinkStats stats_;
  std::optional<TimePoint> last_echo_reply_;
};

}  // namespace tandem::ppp
