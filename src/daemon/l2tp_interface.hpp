// A running L2TP gateway or client: a TUN device, the sans-I/O L2tpStack and, with
// `[l2tp.ipsec]`, IPsec (IKEv1, ESP transport mode protecting UDP 1701) on UDP 500/4500, all on
// one event loop thread; a plain UDP socket only where plain L2TP is allowed. Inner packets from
// the TUN device are wrapped in PPP, L2TP (and UDP and ESP) in place and sent in batches;
// datagrams are handed to the stack and what it delivers is written to the TUN device. The
// gateway checks logins against the configured users; the client negotiates IPsec first, then
// dials, and installs the address IPCP gave it, and the configured routes, on its TUN device.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/login_throttle.hpp"
#include "base/result.hpp"
#include "control/l2tp_config.hpp"
#include "crypto/random.hpp"
#include "daemon/hybrid_link.hpp"
#include "daemon/ipsec_endpoint.hpp"
#include "daemon/l2tp_accounting.hpp"
#include "daemon/l2tp_session_probers.hpp"
#include "daemon/ldap_logins.hpp"
#include "daemon/oversize_packets.hpp"
#include "daemon/probed_device_mtu.hpp"
#include "daemon/radius_logins.hpp"
#include "daemon/underlay_route_watch.hpp"
#include "hybrid/l2tp_stack.hpp"
#include "hybrid/retransmit_watch.hpp"
#include "hybrid/underlay_mtus.hpp"
#include "io/event_loop.hpp"
#include "io/netlink.hpp"
#include "io/packet_batch.hpp"
#include "io/tun_device.hpp"
#include "io/udp_socket.hpp"
#include "io/unix_socket_server.hpp"
#include "ipsec/ike/v1/config.hpp"

namespace tandem::daemon {

class L2tpInterface final : public ControlPath {
 public:
  // Creates the TUN device and binds the socket; `server` is the resolved LNS for a client.
  static Result<std::unique_ptr<L2tpInterface>, std::string> create(
      const control::L2tpConfig& config, const Endpoint& server);
  // L2TP as one path of a hybrid interface: no device of its own; what it opens goes to `link`
  // (which must outlive it), what the router gives it comes through send_inner(). With
  // `shared_ipsec` (an endpoint with an IKEv1 engine from ike_engine()) it uses that endpoint's
  // ports instead of binding its own.
  static Result<std::unique_ptr<L2tpInterface>, std::string> create_path(
      const control::L2tpConfig& config, const Endpoint& server, HybridLink& link,
      std::shared_ptr<IpsecEndpoint> shared_ipsec = nullptr);
  // The IKEv1 engine `[l2tp.ipsec]` describes, for an endpoint shared with another user.
  static IpsecEndpoint::EngineFactory ike_engine(const control::L2tpConfig& config,
                                                 const Endpoint& server);
  ~L2tpInterface();
  L2tpInterface(const L2tpInterface&) = delete;
  L2tpInterface& operator=(const L2tpInterface&) = delete;

  const std::string& name() const { return tun_ ? tun_->name() : config_.interface; }
  hybrid::PathKind kind() const override { return hybrid::PathKind::kL2tpIpsec; }
  // Path mode, on the control thread: wraps and sends inner packets (each with kInnerHeadroom in
  // front of it); those no session takes are dropped and counted.
  void send_inner(io::PacketBatch& batch) override;

  // Registers the device, socket and timer with `loop` and starts the stack (a client dials).
  Result<Ok, std::string> attach(io::EventLoop& loop) override;
  // Hangs up every session and tunnel; `on_done` runs once the peers acknowledged (or after a
  // few seconds if they do not answer).
  void shut_down(std::function<void()> on_done) override;

  std::string status_json() const override;
  // Inner packets a gateway dropped because a session sent from an address it was not given.
  std::uint64_t spoofed() const override { return stack_.stats().spoofed; }
  std::size_t inner_mtu() const override;
  bool hang_up(const IpAddress& address, const std::string& reason) override;

 private:
  L2tpInterface(const control::L2tpConfig& config, const Endpoint& server,
                std::optional<io::TunDevice> tun, HybridLink* link,
                std::optional<io::UdpSocket> udp, std::shared_ptr<IpsecEndpoint> ipsec,
                io::Netlink netlink);
  static Result<std::unique_ptr<L2tpInterface>, std::string> assemble(
      const control::L2tpConfig& config, const Endpoint& server, std::optional<io::TunDevice> tun,
      HybridLink* link, std::shared_ptr<IpsecEndpoint> shared_ipsec);

  void on_tun_readable();
  void on_udp_readable();
  // EPOLLERR on the plain L2TP socket: too-big reports to plain_underlay_.
  void on_udp_errors();
  // False when `inner`, wrapped for its session in `wrapped`, is larger than that session carries
  // (`session_mtu`: the MRU, or what its probes found) or than ICMP said the underlay towards its
  // peer takes: it is answered with ICMP or fragmented into fragments_ instead
  // (oversize_packets.hpp).
  bool fits_underlay(const Packet& wrapped, ByteView inner, std::size_t session_mtu,
                     OversizeTally& too_big);
  // Client: the largest inner packet towards the server while its underlay is known to be
  // smaller than the device allows, from ICMP or from path MTU probing; none otherwise.
  std::optional<std::size_t> underlay_limit(const IpAddress& peer) const;
  // The same from ICMP alone: what probing searches within.
  std::optional<std::size_t> icmp_underlay_limit(const IpAddress& peer) const;
  // Brings the sessions' MTU probers in line with the sessions and sends their probes.
  void run_probers(TimePoint now, hybrid::L2tpStackOutput& out);
  void on_timer();
  // Sends, writes, logs and decides what the stack produced, then re-arms the timer.
  void process(hybrid::L2tpStackOutput& out);
  void on_event(const hybrid::L2tpEvent& e);
  // The verdict on a login, and the address IPCP hands the session (a hybrid gateway: the
  // account's).
  struct LoginDecision {
    ppp::AuthVerdict verdict;
    std::optional<IpAddress> address;   // what IPCP hands the session (a hybrid's account)
    std::optional<IpAddress> address6;  // the account's IPv6 address, checked as the source
    // Refused: why, in a word for the metrics (unknown_user, wrong_password, ...); never secret.
    const char* failure = "";
  };
  // The credentials alone (l2tp_logins.cpp).
  LoginDecision decide(const ppp::AuthRequest& request);
  // A login as a whole: the throttle first (no credential is looked at while it holds the name
  // or address back), then decide() or the backend, its outcome counted, logged and told as
  // events. Nothing while the backend decides: on_backend() gives the verdict later.
  std::optional<LoginDecision> login(const hybrid::L2tpAuthTicket& ticket, TimePoint now);
  // A refusal's log line (`detail`: why, in the gateway's words), event, throttle count (when
  // `guess`) and metric count.
  void refused(const hybrid::L2tpAuthTicket& t, const LoginDecision& d, const std::string& detail,
               bool guess, TimePoint now);
  // The backend's verdicts: each waiting session gets its own.
  void on_backend();
  // Accounting's interim updates and session limits (l2tp_logins.cpp).
  void on_accounting_timer();
  void rearm_accounting();
  // A backend's verdict as the session's LoginDecision; on a hybrid gateway the account is
  // looked at again, so that a revocation meanwhile still wins. `detail` and `guess` say what
  // refused() is to log and count.
  LoginDecision backend_decision(const hybrid::L2tpAuthTicket& t, const BackendVerdict& v,
                                 std::string& detail, bool& guess);
  nlohmann::json login_throttle_json(TimePoint now) const;
  // A hybrid gateway's account whose L2TP login `user` is; empty on a plain gateway or for none.
  std::string account_of(std::string_view user);
  void refused_event(const std::string& user, std::string_view method, const Endpoint& peer,
                     const std::string& reason);
  void rearm();
  // Sends one L2TP datagram: inside ESP when an SA carries traffic to its peer, else plain where
  // that is allowed.
  void send_l2tp(ByteView bytes, const Endpoint& to);
  void on_transport(const hybrid::TransportDelivery& d);
  void on_child(const hybrid::ChildSaChange& c);
  void on_ike_event(const ipsec::ike::Event& e);
  // Client: (re)starts IKE with the server, unless an IKE SA is already there or on its way.
  void dial_ipsec();

  control::L2tpConfig config_;
  std::optional<io::TunDevice> tun_;      // a plain interface's device
  HybridLink* link_;                      // path mode
  std::optional<io::UdpSocket> udp_;      // plain L2TP: without IPsec, or where allow_unencrypted
  std::shared_ptr<IpsecEndpoint> ipsec_;  // IKEv1; perhaps shared with IKEv2 road warriors
  io::Netlink netlink_;
  crypto::SystemRng rng_;
  hybrid::L2tpStack stack_;
  io::EventLoop* loop_ = nullptr;
  io::EventLoop::TimerId timer_ = 0;
  io::EventLoop::TimerId shutdown_timer_ = 0;
  std::function<void()> on_shutdown_done_;
  Endpoint server_;
  bool started_ = false;  // client with IPsec: the stack dials once the first ESP SA is up
  io::EventLoop::TimerId ike_redial_timer_ = 0;
  Duration ike_redial_wait_ = std::chrono::seconds(1);

  // Scratch, allocated once.
  io::PacketBatch tun_batch_;
  io::PacketBatch udp_batch_;
  io::PacketBatch fragments_;          // fits_underlay()'s, sent after the batch
  io::PacketBatch fragments_sending_;  // the same while they are sent
  OversizeTally too_big_;
  hybrid::UnderlayMtus plain_underlay_;  // what ICMP said about plain L2TP's peers
  L2tpSessionProbers probers_;           // the sessions' path MTU probing
  // With probing: the underlay route to the server (a gateway: to each session's client).
  std::optional<UnderlayRouteWatch> routes_;
  auth::LoginThrottle throttle_;                 // failed logins, asked before decide()
  std::unique_ptr<LoginBackend> backend_;        // [ldap], [radius]: check instead of decide()
  RadiusLogins* radius_ = nullptr;               // backend_, when it is RADIUS
  std::optional<SessionAccounting> accounting_;  // with radius_: accounting and session limits
  io::EventLoop::TimerId accounting_timer_ = 0;
  // Logins the backend is deciding (their passwords wiped), by the id they were submitted with.
  std::map<std::uint64_t, hybrid::L2tpAuthTicket> backend_waiting_;
  // Of those, how many per user name and per source address. The throttle learns of a failure
  // only when its verdict comes back, so a burst of parallel guesses would all pass it: one
  // login per name and a few per address are with the backend at a time.
  std::map<std::string, unsigned, std::less<>> backend_users_;
  std::map<IpAddress, unsigned> backend_sources_;
  std::uint64_t next_backend_id_ = 1;
  TimePoint next_forget_{};              // when throttle_ next sheds old counts
  hybrid::RetransmitWatch retransmits_;  // with probers_: large TCP segments sent again
  bool probers_due_ = false;             // sessions or replies changed: run_probers() next
  bool replies_due_ = false;             // a gateway's probe replies: poll_replied() next
  bool sessions_changed_ = false;        // a session went up or down since the last sync
  TimePoint next_sync_{};                // a gateway's next sync of probers_ regardless
  ProbedDeviceMtu device_mtu_;           // a plain client's device
  hybrid::L2tpStackOutput out_;
  // Refused logins by authentication method and LoginDecision::failure, for the status document.
  std::map<std::pair<std::string, std::string>, std::uint64_t> login_failures_;
};

// The stack settings a config section describes; `hybrid` when L2TP is a path of a hybrid
// interface (sessions then carry IPv6 too).
hybrid::L2tpStackConfig l2tp_stack_config(const control::L2tpConfig& config, const Endpoint& server,
                                          bool hybrid = false);
// Whether ESP always goes in UDP (`force_udp_encapsulation`, by default on a client only).
bool force_udp_encapsulation(const control::L2tpConfig& config);
// The IKEv1 settings `[l2tp.ipsec]` describes: one peer, "clients" (any address) on a gateway,
// "server" on a client.
ipsec::ike::v1::Config l2tp_ikev1_config(const control::L2tpConfig& config, const Endpoint& server);

}  // namespace tandem::daemon
