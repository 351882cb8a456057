#include "daemon/l2tp_interface.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "daemon/event_sink.hpp"
#include "daemon/l2tp_mtu.hpp"
#include "daemon/offloads.hpp"
#include "hybrid/mtu_budget.hpp"
#include "io/system_clock.hpp"
#include "packet/tcp_mss.hpp"

namespace tandem::daemon {
namespace {

// What makes this run's Acct-Session-Ids differ from the last run's: the time it started.
std::string accounting_session_prefix() {
  return fmt::format("{:08x}", std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

constexpr std::size_t kBatch = 64;
// Datagrams carry a full inner packet plus L2TP and PPP headers; slots leave room for both.
constexpr std::size_t kSlot = 2048;
constexpr auto kShutdownGrace = std::chrono::seconds(3);
// TUN reads leave room for PPP and L2TP, and with IPsec for UDP and ESP as well.
constexpr std::size_t kTunHeadroom = L2tpInterface::kInnerHeadroom;
static_assert(hybrid::L2tpStack::kHeadroom + hybrid::IpsecStack::kHeadroom <= kTunHeadroom);
constexpr std::uint16_t kL2tpPort = 1701;
constexpr auto kIkeRedialMax = std::chrono::seconds(60);
// L2TP/IPsec is IKEv1 (what the built-in clients of Windows, macOS and Android speak).
constexpr int kIkeVersion = 1;
// A gateway starts each session's first path MTU search at a random time within this much after
// the session came up: after a restart thousands of clients dial again at once, and their
// searches must not all probe in the same second.
constexpr Duration kFirstSearchSpread = std::chrono::seconds(10);
// How often a gateway brings its probers in line with its sessions besides when one goes up or
// down (an underlay MTU that ICMP reported, an IPCP renegotiation).
constexpr Duration kGatewaySyncInterval = std::chrono::seconds(1);

const char* role_name(control::L2tpRole r) {
  return r == control::L2tpRole::kLns ? "LNS" : "LAC";
}

// `config` with its MTU settled (l2tp_device_mtu): the file's, or the budget over the path to
// the server. Logs where a figure it works out comes from, and with `log_given` a given one too.
control::L2tpConfig with_mtu(const control::L2tpConfig& config, const Endpoint& server,
                             bool log_given) {
  control::L2tpConfig c = config;
  std::string why;
  c.mtu = l2tp_device_mtu(
      config, c.role == control::L2tpRole::kLac ? std::optional(server) : std::nullopt, &why);
  c.mtu_given = true;
  if (log_given || !config.mtu_given)
    spdlog::info("L2TP {} on {}: MTU {} ({})", role_name(c.role), c.interface, c.mtu, why);
  return c;
}

}  // namespace

hybrid::L2tpStackConfig l2tp_stack_config(const control::L2tpConfig& c, const Endpoint& server,
                                          bool hybrid) {
  hybrid::L2tpStackConfig s;
  // A hybrid gives each account its IPv6 address as well: sessions carry IPv6 there.
  s.ipv6 = hybrid;
  s.role = c.role == control::L2tpRole::kLns ? hybrid::L2tpRole::kLns : hybrid::L2tpRole::kLac;
  s.node.host_name = c.host_name;
  s.node.secret = c.tunnel_secret;
  if (c.hide_avps)
    s.node.hidden_avps = {l2tp::AvpType::kAssignedSessionId, l2tp::AvpType::kCallSerialNumber};
  s.node.hello_interval = std::chrono::seconds(c.hello_interval);
  s.auth = c.auth;
  // PPP's MRU is what fits in the TUN MTU (settled by l2tp_device_mtu).
  s.mru = static_cast<std::uint16_t>(c.mtu);
  if (c.address) s.gateway_address = c.address->address;
  s.pool_first = c.pool_first;
  s.pool_last = c.pool_last;
  s.dns = c.dns;
  s.server = server;
  for (const auto& call : c.calls) s.calls.push_back({call.user, call.password});
  s.redial = c.redial;
  return s;
}

bool force_udp_encapsulation(const control::L2tpConfig& c) {
  return c.ipsec->force_udp_encapsulation.value_or(c.role == control::L2tpRole::kLac);
}

ipsec::ike::v1::Config l2tp_ikev1_config(const control::L2tpConfig& c, const Endpoint& server) {
  ipsec::ike::v1::Config config;
  const control::L2tpIpsecConfig& s = *c.ipsec;
  ipsec::ike::v1::PeerConfig peer;
  if (c.role == control::L2tpRole::kLns) {
    peer.name = "clients";
  } else {
    peer.name = "server";
    peer.address = server.address;
  }
  peer.psk.assign(reinterpret_cast<const std::byte*>(s.psk.data()),
                  reinterpret_cast<const std::byte*>(s.psk.data() + s.psk.size()));
  if (!s.ike_proposals.empty()) peer.phase1 = s.ike_proposals;
  if (!s.esp_proposals.empty()) peer.phase2 = s.esp_proposals;
  peer.mode = ipsec::ike::EspMode::kTransport;
  peer.transport_protocol = 17;
  peer.transport_port = kL2tpPort;
  peer.phase1_lifetime = std::chrono::seconds(s.ike_lifetime);
  peer.phase2_lifetime = std::chrono::seconds(s.esp_lifetime);
  peer.dpd_interval = std::chrono::seconds(s.dpd_interval);
  peer.dpd_timeout = std::chrono::seconds(s.dpd_timeout);
  peer.force_udp_encapsulation = force_udp_encapsulation(c);
  config.peers = {peer};
  config.allow_modp1024 = s.allow_modp1024;
  return config;
}

Result<std::unique_ptr<L2tpInterface>, std::string> L2tpInterface::create(
    const control::L2tpConfig& config, const Endpoint& server) {
  const control::L2tpConfig sized = with_mtu(config, server, true);
  auto tun = open_offloaded_tun(sized.interface, sized.mtu);
  if (!tun) return Err("TUN device " + sized.interface + ": " + tun.error());
  return assemble(sized, server, std::move(*tun), nullptr, nullptr);
}

Result<std::unique_ptr<L2tpInterface>, std::string> L2tpInterface::create_path(
    const control::L2tpConfig& config, const Endpoint& server, HybridLink& link,
    std::shared_ptr<IpsecEndpoint> shared_ipsec) {
  return assemble(with_mtu(config, server, false), server, std::nullopt, &link,
                  std::move(shared_ipsec));
}

IpsecEndpoint::EngineFactory L2tpInterface::ike_engine(const control::L2tpConfig& config,
                                                       const Endpoint& server) {
  return [ike = l2tp_ikev1_config(config, server)](Rng& rng) {
    return ipsec::ike::make_ikev1_engine(ike, rng);
  };
}

Result<std::unique_ptr<L2tpInterface>, std::string> L2tpInterface::assemble(
    const control::L2tpConfig& config, const Endpoint& server, std::optional<io::TunDevice> tun,
    HybridLink* link, std::shared_ptr<IpsecEndpoint> shared_ipsec) {
  const bool gateway = config.role == control::L2tpRole::kLns;
  std::optional<io::UdpSocket> udp;
  if (!config.ipsec || config.allow_unencrypted) {
    const auto family = gateway ? IpAddress::Family::kV4 : server.address.family();
    auto plain = io::UdpSocket::bind(family, gateway ? config.listen_port : config.local_port);
    if (!plain) return Err("UDP socket: " + plain.error());
    udp = std::move(*plain);
  }
  std::shared_ptr<IpsecEndpoint> ipsec = std::move(shared_ipsec);
  if (config.ipsec && !ipsec) {
    if (!gateway && !server.address.is_v4()) return Err("L2TP/IPsec needs an IPv4 server");
    auto endpoint = IpsecEndpoint::create(config.ipsec->local_address, {ike_engine(config, server)},
                                          !force_udp_encapsulation(config));
    if (!endpoint) return Err(endpoint.error());
    ipsec = std::move(*endpoint);
  }
  auto nl = io::Netlink::open();
  if (!nl) return Err(nl.error());
  std::unique_ptr<L2tpInterface> iface(new L2tpInterface(
      config, server, std::move(tun), link, std::move(udp), std::move(ipsec), std::move(*nl)));
  if (gateway && config.ldap) {
    auto directory = LdapLogins::create(*config.ldap);
    if (!directory) return Err(directory.error());
    iface->backend_ = std::move(*directory);
  }
  if (gateway && config.radius) {
    auto radius = RadiusLogins::create(*config.radius);
    if (!radius) return Err(radius.error());
    iface->radius_ = radius->get();
    iface->backend_ = std::move(*radius);
    iface->accounting_.emplace(
        config.radius->interim_interval,
        [radius = iface->radius_](auth::AccountingInput r) { radius->account(std::move(r)); },
        [] {
          return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
        },
        accounting_session_prefix());
  }
  return iface;
}

L2tpInterface::L2tpInterface(const control::L2tpConfig& config, const Endpoint& server,
                             std::optional<io::TunDevice> tun, HybridLink* link,
                             std::optional<io::UdpSocket> udp, std::shared_ptr<IpsecEndpoint> ipsec,
                             io::Netlink netlink)
    : config_(config),
      tun_(std::move(tun)),
      link_(link),
      udp_(std::move(udp)),
      ipsec_(std::move(ipsec)),
      netlink_(std::move(netlink)),
      stack_(l2tp_stack_config(config, server, link != nullptr), rng_),
      server_(server),
      tun_batch_(kBatch, kSlot, kTunHeadroom),
      udp_batch_(kBatch, kSlot, io::PacketBatch::kDefaultHeadroom),
      fragments_(kBatch, kSlot, kTunHeadroom),
      fragments_sending_(kBatch, kSlot, kTunHeadroom),
      probers_(config.interface, config.mtu_probing ? "" : "mtu_probing = false",
               L2tpProbingSettings{
                   std::chrono::seconds(config.mtu_probe_interval),
                   config.role == control::L2tpRole::kLns ? kFirstSearchSpread : Duration::zero(),
                   &rng_}),
      throttle_(config.login_throttle),
      retransmits_(1280, config.role == control::L2tpRole::kLns
                             ? hybrid::RetransmitWatch::kGatewayFlows
                             : hybrid::RetransmitWatch::kDefaultFlows),
      device_mtu_(config.mtu) {}

L2tpInterface::~L2tpInterface() {
  if (!loop_) return;
  if (ipsec_) ipsec_->detach(kIkeVersion);
  if (tun_) loop_->unwatch(tun_->fd());
  if (udp_) loop_->unwatch(udp_->fd());
  if (routes_ && routes_->fd() >= 0) loop_->unwatch(routes_->fd());
  if (backend_) loop_->unwatch(backend_->notifier().fd());
  if (accounting_timer_) loop_->remove_timer(accounting_timer_);
  loop_->remove_timer(timer_);
  if (shutdown_timer_) loop_->remove_timer(shutdown_timer_);
  if (ike_redial_timer_) loop_->remove_timer(ike_redial_timer_);
}

Result<Ok, std::string> L2tpInterface::attach(io::EventLoop& loop) {
  if (tun_) {
    const int ifindex = tun_->index();
    if (config_.address)
      if (auto ok = netlink_.add_address(ifindex, *config_.address); !ok)
        return Err("address " + config_.address->to_string() + ": " + ok.error());
    if (auto ok = netlink_.set_link_up(ifindex); !ok) return Err(ok.error());
  }
  loop_ = &loop;
  auto timer = loop.add_timer([this] { on_timer(); });
  if (!timer) return Err(timer.error());
  timer_ = *timer;
  if (tun_)
    if (auto ok = loop.watch_readable(tun_->fd(), [this] { on_tun_readable(); }); !ok)
      return Err(ok.error());
  if (backend_) {
    if (auto ok = loop.watch_readable(backend_->notifier().fd(), [this] { on_backend(); }); !ok)
      return Err(ok.error());
    spdlog::info("logins: checked by {}", backend_->describe());
  }
  if (accounting_) {
    auto accounting = loop.add_timer([this] { on_accounting_timer(); });
    if (!accounting) return Err(accounting.error());
    accounting_timer_ = *accounting;
  }
  if (probers_.enabled()) {
    // A new underlay route to the server (a gateway: to a session's client): the searches that
    // go along it start again at once.
    routes_.emplace(name());
    if (routes_->fd() >= 0)
      if (auto ok = loop.watch_readable(routes_->fd(),
                                        [this] {
                                          probers_due_ = true;
                                          process(out_);
                                        });
          !ok)
        return Err(ok.error());
  }
  if (udp_) {
    // Plain L2TP learns the underlay's path MTU from ICMP too (IPsec's endpoint does for ESP).
    if (auto ok = udp_->enable_path_mtu_discovery(); !ok)
      spdlog::warn("L2TP: underlay path MTU discovery unavailable ({})", ok.error());
    auto ok = udp_->path_mtu_discovery()
                  ? loop.watch_readable(
                        udp_->fd(), [this] { on_udp_readable(); }, [this] { on_udp_errors(); })
                  : loop.watch_readable(udp_->fd(), [this] { on_udp_readable(); });
    if (!ok) return Err(ok.error());
  }
  if (ipsec_) {
    IpsecEndpoint::Handlers h;
    h.on_transport = [this](const hybrid::TransportDelivery& d) { on_transport(d); };
    h.on_child = [this](const hybrid::ChildSaChange& c) { on_child(c); };
    h.on_event = [this](const ipsec::ike::Event& e) { on_ike_event(e); };
    if (auto ok = ipsec_->attach(loop, kIkeVersion, std::move(h)); !ok) return Err(ok.error());
    auto redial = loop.add_timer([this] { dial_ipsec(); });
    if (!redial) return Err(redial.error());
    ike_redial_timer_ = *redial;
  }
  if (ipsec_ && udp_)
    spdlog::warn(
        "L2TP {} on {}: L2TP/IPsec, and plain L2TP on UDP port {} (allow_unencrypted): "
        "plain sessions are not encrypted",
        role_name(config_.role), name(), udp_->port());
  else if (ipsec_)
    spdlog::info("L2TP {} on {}: L2TP/IPsec only (ESP transport mode protecting UDP {})",
                 role_name(config_.role), name(), kL2tpPort);
  else
    spdlog::info("L2TP {} on {} (UDP port {}), without IPsec: traffic is not encrypted",
                 role_name(config_.role), name(), udp_->port());
  if (ipsec_ && config_.role == control::L2tpRole::kLac) {
    // The client dials L2TP once IPsec protects it (on_child).
    dial_ipsec();
  } else {
    started_ = true;
    stack_.start(io::SystemClock::now(), out_);
    process(out_);
  }
  return Ok{};
}

void L2tpInterface::dial_ipsec() {
  for (const auto& sa : ipsec_->stack().engine(kIkeVersion)->summaries())
    if (sa.initiator || sa.established) return;  // up, or on its way
  spdlog::info("IPsec: negotiating with {}", server_.address.to_string());
  if (auto h = ipsec_->initiate(kIkeVersion, "server", server_.address); !h)
    spdlog::error("IPsec: cannot start IKE: {}", h.error());
}

void L2tpInterface::on_ike_event(const ipsec::ike::Event& e) {
  using ipsec::ike::EventType;
  if (config_.role != control::L2tpRole::kLac || on_shutdown_done_) return;
  if (e.type == EventType::kIkeSaUp) ike_redial_wait_ = std::chrono::seconds(1);
  if (e.type != EventType::kIkeSaDown && e.type != EventType::kDeadPeer &&
      e.type != EventType::kRetransmitGaveUp && e.type != EventType::kRefused)
    return;
  // Nothing to do while another IKE SA stands or is being negotiated (a renewal).
  for (const auto& sa : ipsec_->stack().engine(kIkeVersion)->summaries())
    if (sa.established || sa.initiator) return;
  // Try again later, waiting longer each time.
  loop_->arm_timer(ike_redial_timer_, io::SystemClock::now() + ike_redial_wait_);
  spdlog::info("IPsec: next attempt in {} s",
               std::chrono::duration_cast<std::chrono::seconds>(ike_redial_wait_).count());
  ike_redial_wait_ = std::min<Duration>(ike_redial_wait_ * 2, kIkeRedialMax);
}

void L2tpInterface::on_child(const hybrid::ChildSaChange& c) {
  if (!c.up || started_ || on_shutdown_done_) return;
  started_ = true;
  stack_.start(io::SystemClock::now(), out_);
  process(out_);
}

void L2tpInterface::on_transport(const hybrid::TransportDelivery& d) {
  if (d.destination_port != kL2tpPort) return;
  stack_.on_datagram(d.payload, d.peer, io::SystemClock::now(), out_);
  process(out_);
}

void L2tpInterface::send_l2tp(ByteView bytes, const Endpoint& to) {
  if (ipsec_ && ipsec_->send_transport(bytes, to, kL2tpPort, kL2tpPort)) return;
  if (udp_) {
    if (auto ok = udp_->send(bytes, to); !ok)
      spdlog::warn("send to {}: {}", to.to_string(), ok.error().text());
    return;
  }
  spdlog::debug("L2TP message for {} dropped: no IPsec SA carries it", to.to_string());
}

void L2tpInterface::on_tun_readable() {
  auto read = drain_tun(*tun_, tun_batch_, [this](io::PacketBatch& b) { send_inner(b); });
  if (read) return;
  spdlog::error("TUN device gone ({}): shutting down", read.error().text());
  loop_->unwatch(tun_->fd());
  loop_->stop();
}

void L2tpInterface::send_inner(io::PacketBatch& batch) {
  // Wrap each packet in place and keep those a session took at the front of the batch; SYNs
  // ask for no more than the session carries (its PPP frame, or what its probes found).
  const std::size_t mtu = inner_mtu();
  const bool icmp_known = (ipsec_ && !ipsec_->underlay_mtus().empty()) || !plain_underlay_.empty();
  const TimePoint now = io::SystemClock::now();
  OversizeTally too_big;
  std::size_t kept = 0;
  bool rearm_due = false;
  const bool watch = probers_.any();
  std::optional<l2tp::SessionRef> noted;  // the session whose traffic was noted last
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // A large TCP segment sent again: its session's probed size is checked.
    const bool retransmitted = watch && retransmits_.on_outbound(batch[i].bytes());
    const std::size_t inner_length = batch[i].length;
    const auto route = stack_.on_inner_packet(batch[i]);
    if (!route) continue;
    // The session's headers went in front: the inner packet is still the tail of the slot.
    const MutableByteView inner(batch[i].bytes().data() + batch[i].length - inner_length,
                                inner_length);
    packet::clamp_tcp_mss_to_mtu(inner, std::min(mtu, route->mtu));
    if ((icmp_known || inner_length > route->mtu) &&
        !fits_underlay(batch[i], inner, route->mtu, too_big))
      continue;
    if (watch) {
      // Data flows: the session's probed size is confirmed while it does (a silent shrink is
      // found). Consecutive packets of one session are noted once.
      if (noted != route->ref && probers_.note_traffic(route->ref)) rearm_due = true;
      noted = route->ref;
      if (retransmitted && probers_.on_large_retransmit(route->ref, now)) {
        probers_due_ = true;
        rearm_due = true;
      }
    }
    if (kept != i) std::swap(batch[kept], batch[i]);
    ++kept;
  }
  batch.resize(kept);
  if (rearm_due) rearm();
  // Sessions inside IPsec go out sealed; what is left belongs to plain sessions, if allowed.
  if (ipsec_) ipsec_->send_transport_batch(batch, kL2tpPort, kL2tpPort);
  if (!batch.empty() && udp_) {
    const auto sent = udp_->send_batch(batch);
    if (sent.failed > 0)
      spdlog::debug("{} datagrams refused: {}", sent.failed, std::strerror(sent.first_error));
  }
  too_big_.add(too_big);
  if (fragments_.empty()) return;
  // The fragments of packets too big for the underlay: each fits it, so this goes one level.
  std::swap(fragments_, fragments_sending_);
  send_inner(fragments_sending_);
  fragments_sending_.clear();
  fragments_.clear();
}

bool L2tpInterface::fits_underlay(const Packet& wrapped, ByteView inner, std::size_t session_mtu,
                                  OversizeTally& too_big) {
  std::size_t limit = session_mtu;
  if (const auto icmp = icmp_underlay_limit(wrapped.endpoint.address))
    limit = std::min(limit, *icmp);
  if (inner.size() <= limit) return true;
  io::TunDevice* device = tun_ ? &*tun_ : link_ ? &link_->device() : nullptr;
  if (device) handle_oversize_packet(inner, limit, *device, fragments_, too_big);
  return false;
}

std::optional<std::size_t> L2tpInterface::underlay_limit(const IpAddress& peer) const {
  auto limit = icmp_underlay_limit(peer);
  // A client's sessions all go to its server: held to what probing found, exactly as to what
  // ICMP said.
  if (const auto probed = probers_.held_mtu())
    limit = std::min(limit.value_or(stack_.mru()), *probed);
  return limit;
}

std::optional<std::size_t> L2tpInterface::icmp_underlay_limit(const IpAddress& peer) const {
  auto path_mtu = ipsec_ ? ipsec_->underlay_mtu(peer) : std::nullopt;
  if (!path_mtu && !plain_underlay_.empty())
    path_mtu = plain_underlay_.lookup(peer, io::SystemClock::now());
  if (!path_mtu) return std::nullopt;
  // The budget takes the costliest suite the section allows, as the device's MTU does: a few
  // bytes of room lost with a cheaper one, never a datagram too big.
  return std::min<std::size_t>(stack_.mru(),
                               l2tp_mtu_over(config_, *path_mtu, IpAddress::Family::kV4));
}

void L2tpInterface::on_udp_errors() {
  learn_underlay_mtus(*udp_, plain_underlay_, "L2TP: ");
}

void L2tpInterface::on_udp_readable() {
  auto n = udp_->recv_batch(udp_batch_);
  if (!n || *n == 0) return;
  const TimePoint now = io::SystemClock::now();
  for (std::size_t i = 0; i < *n; ++i) {
    stack_.on_datagram(udp_batch_[i].bytes(), udp_batch_[i].endpoint, now, out_);
    // Inner packets view this datagram's slot: write them before the next one is handled.
    process(out_);
  }
}

void L2tpInterface::on_timer() {
  stack_.on_timer(io::SystemClock::now(), out_);
  probers_due_ = true;
  process(out_);
}

void L2tpInterface::run_probers(TimePoint now, hybrid::L2tpStackOutput& out) {
  probers_due_ = false;
  replies_due_ = false;  // poll() looks at every session
  if (!probers_.enabled()) return;
  if (config_.role == control::L2tpRole::kLns) {
    // A gateway's sessions each go to their own client, over an underlay of their own. Listing
    // thousands of them is not done for every probe reply: when one went up or down, and a
    // little later for what changed quietly.
    if (sessions_changed_ || now >= next_sync_) {
      sessions_changed_ = false;
      next_sync_ = now + kGatewaySyncInterval;
      probers_.sync(
          stack_.sessions(),
          [this](const Endpoint& peer) {
            return icmp_underlay_limit(peer.address).value_or(stack_.mru());
          },
          now);
    }
    if (routes_) {
      routes_->begin_round();
      probers_.restart_moved(
          [this](const IpAddress& client) -> std::optional<std::string> {
            const auto route = routes_->moved(client);
            return route ? std::optional(io::to_string(*route)) : std::nullopt;
          },
          now);
      routes_->end_round();
    }
    probers_.poll(stack_, now, out);
    return;
  }
  const std::size_t max = icmp_underlay_limit(server_.address).value_or(stack_.mru());
  probers_.sync(stack_.sessions(), max, now);
  if (routes_) {
    routes_->begin_round();
    if (probers_.any())
      if (const auto route = routes_->moved(server_.address)) {
        spdlog::info(
            "L2TP on {}: the underlay route to {} is now {}: path MTU probing searches "
            "again",
            name(), server_.address.to_string(), io::to_string(*route));
        probers_.restart_all(now);
      }
    routes_->end_round();
  }
  probers_.poll(stack_, now, out);
  // A client's hosts see what its sessions to the server carry.
  if (tun_) device_mtu_.follow(*tun_, probers_.held_mtu(), "its sessions' path");
}

void L2tpInterface::process(hybrid::L2tpStackOutput& out) {
  // Deciding a login produces more output; loop until nothing is left.
  while (true) {
    // SYNs coming out of the tunnel too, so the hosts on this side send segments it carries.
    // The packets lie in this interface's receive slots (udp_batch_ or the IPsec endpoint's).
    const std::size_t mtu = inner_mtu();
    for (std::size_t i = 0; i < out.to_tun.size(); ++i)
      packet::clamp_tcp_mss_to_mtu(writable_in_place(out.to_tun[i]),
                                   std::min(mtu, out.to_tun_mtu[i]));
    if (link_) {
      if (!out.to_tun.empty()) link_->inbound(hybrid::PathKind::kL2tpIpsec, out.to_tun);
    } else {
      for (const ByteView p : out.to_tun)
        if (auto ok = tun_->write(p); !ok) spdlog::debug("TUN write: {}", ok.error().text());
    }
    for (const auto& d : out.datagrams) send_l2tp(d.bytes, d.to);
    for (const auto& e : out.events) on_event(e);
    if (!out.probe_replies.empty()) {
      probers_.on_replies(out.probe_replies, stack_, io::SystemClock::now());
      // The next sizes of a search may be due at once: a gateway looks at the sessions that
      // had replies, a client at all (its device follows what they hold).
      if (config_.role == control::L2tpRole::kLns)
        replies_due_ = true;
      else
        probers_due_ = true;
    }
    auto tickets = std::move(out.auth_requests);
    out.clear();
    if (tickets.empty()) {
      if (!probers_due_ && !replies_due_) break;
      // Their probes go out in the next round.
      if (probers_due_) {
        run_probers(io::SystemClock::now(), out);
      } else {
        replies_due_ = false;
        probers_.poll_replied(stack_, io::SystemClock::now(), out);
      }
      continue;
    }
    const TimePoint now = io::SystemClock::now();
    for (const auto& t : tickets)
      if (const auto d = login(t, now))
        stack_.auth_verdict(t.ref, d->verdict, now, out, d->address, d->address6);
  }
  if (on_shutdown_done_ && stack_.done()) {
    // L2TP said goodbye inside IPsec; now IKE deletes its SAs and tells the peers.
    if (ipsec_) ipsec_->close_all(kIkeVersion);
    auto done = std::move(on_shutdown_done_);
    on_shutdown_done_ = nullptr;
    done();
    return;
  }
  rearm();
}

std::size_t L2tpInterface::inner_mtu() const {
  // A client has one peer: a smaller underlay towards it is the whole path's MTU.
  if (config_.role == control::L2tpRole::kLac)
    if (const auto limit = underlay_limit(server_.address)) return *limit;
  return stack_.mru();
}

void L2tpInterface::on_event(const hybrid::L2tpEvent& e) {
  const auto addr = [](const std::optional<IpAddress>& a) {
    return a ? a->to_string() : std::string("-");
  };
  switch (e.type) {
    case hybrid::L2tpEventType::kTunnelUp:
      spdlog::info("tunnel {} up with {}", e.ref.tunnel_id, e.peer.to_string());
      break;
    case hybrid::L2tpEventType::kTunnelDown:
      spdlog::info("tunnel {} down ({}): {}", e.ref.tunnel_id, e.peer.to_string(), e.detail);
      break;
    case hybrid::L2tpEventType::kAuthenticated: {
      spdlog::info("session {}/{}: user '{}' logged in with {}", e.ref.tunnel_id, e.ref.session_id,
                   e.user, e.detail);
      nlohmann::json fields{
          {"user", e.user},
          {"method", e.detail},
          {"peer", e.peer.to_string()},
          {"session", std::to_string(e.ref.tunnel_id) + "/" + std::to_string(e.ref.session_id)}};
      if (std::string account = account_of(e.user); !account.empty()) fields["account"] = account;
      events().emit("l2tp.login", std::move(fields));
      break;
    }
    case hybrid::L2tpEventType::kLinkUp: {
      probers_due_ = true;
      sessions_changed_ = true;
      std::string dns;
      for (const auto& d : e.dns) dns += (dns.empty() ? "" : ",") + d.to_string();
      spdlog::info("session {}/{} up: user '{}' local {} remote {}{}{}", e.ref.tunnel_id,
                   e.ref.session_id, e.user, addr(e.local), addr(e.remote),
                   dns.empty() ? "" : " dns ", dns);
      if (accounting_ && e.remote) {
        accounting_->up(e.ref, *e.remote, io::SystemClock::now());
        rearm_accounting();
      }
      if (link_) {
        if (config_.role == control::L2tpRole::kLac)
          link_->protocol_state(hybrid::PathKind::kL2tpIpsec, true, "PPP link up", e.local);
      } else if (config_.role == control::L2tpRole::kLac && e.local) {
        if (auto ok = netlink_.add_address(tun_->index(), InterfaceAddress{*e.local, 32});
            !ok && ok.error().find("exists") == std::string::npos)
          spdlog::error("cannot add address {}: {}", e.local->to_string(), ok.error());
        // Every link-up: the kernel drops a device's routes with its last IPv4 address.
        if (e.remote) {
          std::vector<IpPrefix> routes = config_.routes;
          if (routes.empty()) routes.push_back(IpPrefix(*e.remote, 32));
          for (const auto& r : routes)
            if (auto ok =
                    netlink_.add_route(io::Route{r, tun_->index(), std::nullopt, std::nullopt});
                !ok && ok.error().find("exists") == std::string::npos)
              spdlog::error("cannot add route {}: {}", r.to_string(), ok.error());
        }
      }
      break;
    }
    case hybrid::L2tpEventType::kLinkDown:
      probers_due_ = true;
      sessions_changed_ = true;
      spdlog::info("session {}/{} down: user '{}'{}{}: {}", e.ref.tunnel_id, e.ref.session_id,
                   e.user, e.local ? " local " : "", e.local ? e.local->to_string() : "", e.detail);
      if (accounting_) accounting_->down(e, io::SystemClock::now());
      if (link_) {
        if (config_.role == control::L2tpRole::kLac)
          link_->protocol_state(hybrid::PathKind::kL2tpIpsec, false, "PPP link down: " + e.detail);
        else if (e.remote)
          link_->session_down(hybrid::PathKind::kL2tpIpsec, *e.remote);
      } else if (config_.role == control::L2tpRole::kLac && e.local)
        if (auto ok = netlink_.delete_address(tun_->index(), InterfaceAddress{*e.local, 32}); !ok)
          spdlog::debug("remove address {}: {}", e.local->to_string(), ok.error());
      break;
  }
}

void L2tpInterface::rearm() {
  TimePoint t = stack_.next_deadline();
  if (const auto probe = probers_.next_deadline()) t = std::min(t, *probe);
  if (t == TimePoint::max())
    loop_->disarm_timer(timer_);
  else
    loop_->arm_timer(timer_, t);
}

bool L2tpInterface::hang_up(const IpAddress& address, const std::string& reason) {
  const bool found = stack_.hang_up(address, reason, io::SystemClock::now(), out_);
  process(out_);
  rearm();
  return found;
}

void L2tpInterface::shut_down(std::function<void()> on_done) {
  on_shutdown_done_ = std::move(on_done);
  if (auto t = loop_->add_timer([this] {
        if (!on_shutdown_done_) return;
        spdlog::warn("peers did not acknowledge the hang-up within {} s",
                     std::chrono::seconds(kShutdownGrace).count());
        if (ipsec_) ipsec_->close_all(kIkeVersion);
        auto done = std::move(on_shutdown_done_);
        on_shutdown_done_ = nullptr;
        done();
      })) {
    shutdown_timer_ = *t;
    loop_->arm_timer(shutdown_timer_, io::SystemClock::now() + kShutdownGrace);
  }
  stack_.stop(io::SystemClock::now(), out_);
  process(out_);
}

std::string L2tpInterface::status_json() const {
  nlohmann::json j;
  j["interface"] = name();
  j["role"] = config_.role == control::L2tpRole::kLns ? "lns" : "lac";
  if (udp_) j["udp_port"] = udp_->port();
  if (ipsec_) j["ipsec"] = ipsec_->status_json(kIkeVersion);
  j["tunnels"] = stack_.node().tunnel_count();
  if (tun_) j["device"] = tun_offloads_json(*tun_);
  const auto& st = stack_.stats();
  j["stats"] = {{"to_tun", st.to_tun},
                {"from_tun", st.from_tun},
                {"no_route", st.no_route},
                {"spoofed", st.spoofed},
                {"not_ipv4", st.not_ipv4},
                {"pool_exhausted", st.pool_exhausted},
                {"data_received", stack_.node().stats().data_received},
                {"data_sent", stack_.node().stats().data_sent}};
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& s : stack_.sessions()) {
    nlohmann::json o{{"tunnel", s.ref.tunnel_id},
                     {"session", s.ref.session_id},
                     {"peer", s.peer.to_string()},
                     {"user", s.user},
                     {"up", s.up}};
    if (s.local) o["local"] = s.local->to_string();
    if (s.remote) o["remote"] = s.remote->to_string();
    // What the session was set up for, and what its packets are held to now.
    o["configured_mtu"] = stack_.mru();
    std::size_t mtu = icmp_underlay_limit(s.peer.address).value_or(stack_.mru());
    if (const auto probed = probers_.held_mtu(s.ref)) mtu = std::min(mtu, *probed);
    o["mtu"] = mtu;
    o["mtu_probe"] = probers_.status_json(s.ref);
    o["rx_packets"] = s.rx_packets;
    o["rx_bytes"] = s.rx_bytes;
    o["tx_packets"] = s.tx_packets;
    o["tx_bytes"] = s.tx_bytes;
    if (s.last_echo_reply)
      o["last_echo_reply_ms_ago"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        io::SystemClock::now() - *s.last_echo_reply)
                                        .count();
    sessions.push_back(std::move(o));
  }
  j["sessions"] = std::move(sessions);
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& [key, count] : login_failures_)
    failures.push_back({{"method", key.first}, {"reason", key.second}, {"count", count}});
  j["login_failures"] = std::move(failures);
  j["login_throttle"] = login_throttle_json(io::SystemClock::now());
  j["mtu"] = inner_mtu();
  j["too_big"] = too_big_json(too_big_);
  if (udp_) {  // plain L2TP's peers; IPsec's are in its own document
    nlohmann::json underlay = nlohmann::json::object();
    for (const auto& k : plain_underlay_.known(io::SystemClock::now()))
      underlay[k.peer.to_string()] = k.path_mtu;
    j["underlay_path_mtu"] = std::move(underlay);
  }
  // The status socket speaks the UAPI shape: a reply ends with a blank line.
  return j.dump() + "\n\n";
}

}  // namespace tandem::daemon
