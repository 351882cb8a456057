#include "daemon/ipsec_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "daemon/event_sink.hpp"
#include "daemon/oversize_packets.hpp"
#include "io/resolve.hpp"
#include "io/system_clock.hpp"

namespace tandem::daemon {
namespace {

using ipsec::ike::kIkePort;
using ipsec::ike::kNatTraversalPort;

constexpr int kIpProtocolEsp = 50;
constexpr std::size_t kBatch = 64;
constexpr std::size_t kSlot = 2048;
// Received ESP is opened in place, so receive slots need no headroom beyond the default.
constexpr std::size_t kControlHeadroom = 128;

const char* mode_name(ipsec::ike::EspMode m) {
  return m == ipsec::ike::EspMode::kTransport ? "transport" : "tunnel";
}

std::string selectors_text(const std::vector<ipsec::ike::Selector>& selectors) {
  std::string s;
  for (const auto& sel : selectors) {
    if (!s.empty()) s += ",";
    s += sel.start.to_string();
    if (sel.end != sel.start) s += "-" + sel.end.to_string();
    if (sel.ip_protocol != 0) s += "[" + std::to_string(sel.ip_protocol);
    if (sel.ip_protocol != 0 && !(sel.start_port == 0 && sel.end_port == 65535))
      s += "/" + std::to_string(sel.start_port) +
           (sel.end_port != sel.start_port ? "-" + std::to_string(sel.end_port) : "");
    if (sel.ip_protocol != 0) s += "]";
  }
  return s;
}

}  // namespace

std::vector<std::unique_ptr<ipsec::ike::Engine>> make_all(
    const std::vector<IpsecEndpoint::EngineFactory>& factories, Rng& rng) {
  std::vector<std::unique_ptr<ipsec::ike::Engine>> engines;
  for (const auto& make : factories) engines.push_back(make(rng));
  return engines;
}

Result<std::shared_ptr<IpsecEndpoint>, std::string> IpsecEndpoint::create(
    std::optional<IpAddress> local_address, const std::vector<EngineFactory>& make_engines,
    bool raw_esp) {
  if (make_engines.empty()) return Err(std::string("IPsec needs an IKE engine"));
  auto ike = io::UdpSocket::bind(IpAddress::Family::kV4, kIkePort);
  if (!ike) return Err("IKE socket (UDP 500): " + ike.error());
  auto nat_t = io::UdpSocket::bind(IpAddress::Family::kV4, kNatTraversalPort);
  if (!nat_t) return Err("NAT-T socket (UDP 4500): " + nat_t.error());
  // ESP leaves with DF and what comes back too big holds the inner packets to the path, instead
  // of the kernel fragmenting ESP (which many NATs and firewalls drop).
  if (auto ok = nat_t->enable_path_mtu_discovery(); !ok)
    spdlog::warn(
        "IPsec: underlay path MTU discovery unavailable ({}): ESP too big for the path "
        "is fragmented by the kernel",
        ok.error());
  std::optional<io::UdpSocket> raw;
  if (raw_esp) {
    auto opened = io::UdpSocket::raw_ipv4(kIpProtocolEsp);
    if (!opened) return Err("ESP socket (IP protocol 50): " + opened.error());
    raw = std::move(*opened);
  }
  return std::shared_ptr<IpsecEndpoint>(new IpsecEndpoint(
      make_engines, local_address, std::move(*ike), std::move(*nat_t), std::move(raw), nullptr));
}

std::shared_ptr<IpsecEndpoint> IpsecEndpoint::create_carried(
    const IpAddress& local_address, const std::vector<EngineFactory>& make_engines,
    DatagramCarrier& carrier) {
  return std::shared_ptr<IpsecEndpoint>(new IpsecEndpoint(make_engines, local_address, std::nullopt,
                                                          std::nullopt, std::nullopt, &carrier));
}

IpsecEndpoint::IpsecEndpoint(const std::vector<EngineFactory>& make_engines,
                             std::optional<IpAddress> local, std::optional<io::UdpSocket> ike,
                             std::optional<io::UdpSocket> nat_t,
                             std::optional<io::UdpSocket> raw_esp, DatagramCarrier* carrier)
    : local_address_(local),
      stack_(make_all(make_engines, rng_), rng_),
      ike_(std::move(ike)),
      nat_t_(std::move(nat_t)),
      raw_esp_(std::move(raw_esp)),
      carrier_(carrier),
      rx_batch_(kBatch, kSlot, io::PacketBatch::kDefaultHeadroom),
      control_batch_(1, kSlot, kControlHeadroom) {}

IpsecEndpoint::~IpsecEndpoint() {
  if (!loop_) return;
  if (ike_) loop_->unwatch(ike_->fd());
  if (nat_t_) loop_->unwatch(nat_t_->fd());
  if (raw_esp_) loop_->unwatch(raw_esp_->fd());
  loop_->remove_timer(timer_);
}

Result<Ok, std::string> IpsecEndpoint::attach(io::EventLoop& loop, int ike_version,
                                              Handlers handlers) {
  if (stack_.engine(ike_version) == nullptr)
    return Err("IPsec: no IKEv" + std::to_string(ike_version) + " engine on these ports");
  if (loop_ != nullptr && loop_ != &loop)
    return Err(std::string("IPsec: the users of one endpoint must share its event loop"));
  handlers_[ike_version] = std::move(handlers);
  if (loop_ != nullptr) return Ok{};
  loop_ = &loop;
  auto timer = loop.add_timer([this] { on_timer(); });
  if (!timer) return Err(timer.error());
  timer_ = *timer;
  if (ike_)
    if (auto ok = loop.watch_readable(ike_->fd(), [this] { on_readable(*ike_); }); !ok)
      return Err(ok.error());
  if (nat_t_) {
    auto ok =
        nat_t_->path_mtu_discovery()
            ? loop.watch_readable(
                  nat_t_->fd(), [this] { on_readable(*nat_t_); }, [this] { on_errors(*nat_t_); })
            : loop.watch_readable(nat_t_->fd(), [this] { on_readable(*nat_t_); });
    if (!ok) return Err(ok.error());
  }
  if (raw_esp_)
    if (auto ok = loop.watch_readable(raw_esp_->fd(), [this] { on_readable(*raw_esp_); }); !ok)
      return Err(ok.error());
  std::string versions;
  for (const auto& engine : stack_.engines())
    versions += (versions.empty() ? "IKEv" : " and IKEv") + std::to_string(engine->version());
  spdlog::info("IPsec: {} on UDP {} and {}{}{}{}", versions, kIkePort, kNatTraversalPort,
               carrier_ ? " inside the outer tunnel" : "",
               raw_esp_ ? ", ESP also as IP protocol 50" : "",
               local_address_ ? " from " + local_address_->to_string() : std::string());
  return Ok{};
}

void IpsecEndpoint::detach(int ike_version) {
  handlers_.erase(ike_version);
}

const IpsecEndpoint::Handlers* IpsecEndpoint::handlers_of(int ike_version) const {
  auto it = handlers_.find(ike_version);
  return it == handlers_.end() ? nullptr : &it->second;
}

template <typename Member>
const IpsecEndpoint::Handlers* IpsecEndpoint::handlers_with(Member member) const {
  for (const auto& [version, h] : handlers_)
    if (h.*member) return &h;
  return nullptr;
}

IpAddress IpsecEndpoint::local_towards(const IpAddress& peer) {
  if (local_address_) return *local_address_;
  if (auto it = local_by_peer_.find(peer); it != local_by_peer_.end()) return it->second;
  auto source = io::source_address_towards(peer);
  if (!source) {
    spdlog::warn("IPsec: {}", source.error());
    return IpAddress{};
  }
  local_by_peer_[peer] = *source;
  return *source;
}

Result<std::uint64_t, std::string> IpsecEndpoint::initiate(int ike_version,
                                                           std::string_view peer_name,
                                                           const IpAddress& peer_address) {
  const Endpoint local{local_towards(peer_address), kIkePort};
  auto handle = stack_.initiate(ike_version, peer_name, local, io::SystemClock::now(), out_);
  process();
  return handle;
}

void IpsecEndpoint::close_all(int ike_version) {
  stack_.close_all(io::SystemClock::now(), out_, ike_version);
  process();
}

bool IpsecEndpoint::replace_peers(int ike_version, const ipsec::ike::v2::Config& config) {
  const bool replaced = stack_.replace_peers(ike_version, config, io::SystemClock::now(), out_);
  process();
  return replaced;
}

void IpsecEndpoint::on_readable(io::UdpSocket& socket) {
  auto n = socket.recv_batch(rx_batch_);
  if (!n || *n == 0) return;
  const TimePoint now = io::SystemClock::now();
  for (std::size_t i = 0; i < *n; ++i) {
    Packet& p = rx_batch_[i];
    if (socket.raw()) {
      stack_.on_raw_esp(p, now, out_);
      process();
      continue;
    }
    const Endpoint local{local_towards(p.endpoint.address), socket.port()};
    stack_.on_datagram(p, local, now, out_);
    // Deliveries view this datagram's slot: hand them over before the next one is opened.
    process();
  }
}

void IpsecEndpoint::on_errors(io::UdpSocket& socket) {
  learn_underlay_mtus(socket, underlay_mtus_, "IPsec: ");
}

std::optional<std::size_t> IpsecEndpoint::underlay_mtu(const IpAddress& peer) const {
  if (underlay_mtus_.empty()) return std::nullopt;
  return underlay_mtus_.lookup(peer, io::SystemClock::now());
}

void IpsecEndpoint::receive_carried(Packet& datagram, std::uint16_t local_port) {
  const Endpoint local{local_towards(datagram.endpoint.address), local_port};
  stack_.on_datagram(datagram, local, io::SystemClock::now(), out_);
  process();
}

void IpsecEndpoint::on_timer() {
  stack_.on_timer(io::SystemClock::now(), out_);
  process();
}

void IpsecEndpoint::process() {
  // Handlers send (L2TP answering what ESP carried), which lands here again: the running call
  // takes over whatever they added, so nothing is sent twice or read after it was cleared.
  if (processing_) return;
  processing_ = true;
  while (!out_.datagrams.empty() || !out_.events.empty() || !out_.children.empty() ||
         !out_.transport.empty() || !out_.tunnel.empty() || !out_.errors.empty()) {
    hybrid::IpsecOutput work = std::move(out_);
    out_.clear();
    for (const auto& d : work.datagrams) {
      if (carrier_) {
        carrier_->carry_one(d.bytes, d.to, d.local_port);
        continue;
      }
      auto& socket = d.local_port == kIkePort ? *ike_ : *nat_t_;
      if (auto ok = socket.send(d.bytes, d.to); !ok)
        spdlog::warn("IPsec: send to {}: {}", d.to.to_string(), ok.error().text());
    }
    for (const auto& e : work.events) log_event(e);
    for (const auto& e : work.errors) spdlog::error("IPsec: {}", e);
    for (const auto& c : work.children) {
      if (c.up)
        spdlog::info("IPsec: ESP SA in {:08x} out {:08x} with {} up ({}, {} mode, {} <-> {})",
                     c.inbound_spi, c.outbound_spi, c.peer.to_string(), c.suite, mode_name(c.mode),
                     selectors_text(c.local), selectors_text(c.remote));
      else
        spdlog::info("IPsec: ESP SA in {:08x} out {:08x} with {} removed", c.inbound_spi,
                     c.outbound_spi, c.peer.to_string());
      if (const Handlers* h = handlers_of(c.ike_version); h && h->on_child) h->on_child(c);
    }
    if (!work.transport.empty())
      if (const Handlers* h = handlers_with(&Handlers::on_transport))
        for (const auto& t : work.transport) h->on_transport(t);
    if (!work.tunnel.empty())
      if (const Handlers* h = handlers_with(&Handlers::on_tunnel)) h->on_tunnel(work.tunnel);
  }
  processing_ = false;
  if (!loop_) return;
  const TimePoint t = stack_.next_deadline();
  if (t == TimePoint::max())
    loop_->disarm_timer(timer_);
  else
    loop_->arm_timer(timer_, t);
}

namespace {

// The event log's name for an IKE event; null for what it leaves to the log.
const char* event_kind(ipsec::ike::EventType type) {
  using ipsec::ike::EventType;
  switch (type) {
    case EventType::kIkeSaUp:
      return "ike.sa_up";
    case EventType::kIkeSaDown:
      return "ike.sa_down";
    case EventType::kChildSaUp:
      return "ike.child_sa_up";
    case EventType::kChildSaDown:
      return "ike.child_sa_down";
    case EventType::kRefused:
      return "ike.refused";
    case EventType::kDeadPeer:
      return "ike.dead_peer";
    case EventType::kRetransmitGaveUp:
      return "ike.gave_up";
    case EventType::kChildSaAgreed:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

void IpsecEndpoint::log_event(const hybrid::IpsecEvent& event) const {
  using ipsec::ike::EventType;
  const ipsec::ike::Event& e = event.event;
  if (const char* kind = event_kind(e.type))
    events().emit(
        kind,
        {{"ike_version", event.ike_version}, {"peer", e.peer.to_string()}, {"detail", e.detail}});
  switch (e.type) {
    case EventType::kRefused:
    case EventType::kDeadPeer:
    case EventType::kRetransmitGaveUp:
      spdlog::warn("IKE: {}", e.detail);
      break;
    case EventType::kChildSaUp:
    case EventType::kChildSaDown:
      // The "IPsec: ESP SA" lines say the same with the traffic selectors.
      spdlog::debug("IKE: {}", e.detail);
      break;
    default:
      spdlog::info("IKE: {}", e.detail);
      break;
  }
  if (const Handlers* h = handlers_of(event.ike_version); h && h->on_event) h->on_event(e);
}

void IpsecEndpoint::send_sealed(io::PacketBatch& batch, std::size_t count) {
  if (count == 0) return;
  // ESP in UDP first, then (port 0) ESP as IP protocol 50, each as one batch.
  std::size_t udp = 0;
  for (std::size_t i = 0; i < count; ++i)
    if (batch[i].endpoint.port != 0) std::swap(batch[udp++], batch[i]);
  const auto report = [](const io::SendResult& sent) {
    if (sent.failed > 0)
      spdlog::debug("IPsec: {} ESP packets refused: {}", sent.failed,
                    std::strerror(sent.first_error));
  };
  if (udp > 0 && carrier_)
    carrier_->carry(batch, 0, udp, kNatTraversalPort);
  else if (udp > 0)
    report(nat_t_->send_batch(batch, 0, udp));
  if (udp < count) {
    if (raw_esp_)
      report(raw_esp_->send_batch(batch, udp, count));
    else
      spdlog::debug("IPsec: {} packets need plain ESP, which is not enabled", count - udp);
  }
}

void IpsecEndpoint::send_transport_batch(io::PacketBatch& batch, std::uint16_t source_port,
                                         std::uint16_t destination_port) {
  const TimePoint now = io::SystemClock::now();
  // Sealed packets gather at the front, the ones no SA carries behind them.
  std::size_t sealed = 0;
  std::size_t dropped = 0;
  const std::size_t n = batch.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Endpoint to = batch[i].endpoint;
    if (!stack_.carries_transport(to)) continue;
    if (stack_.seal_transport(batch[i], to, source_port, destination_port, now, out_)) {
      std::swap(batch[sealed], batch[i]);
      ++sealed;
    } else {
      batch[i].length = 0;  // could not be sealed (sequence numbers spent): dropped
      ++dropped;
    }
  }
  send_sealed(batch, sealed);
  // Hand back the rest, in order, for the caller to send plain or drop.
  std::size_t rest = 0;
  for (std::size_t i = sealed; i < n; ++i)
    if (batch[i].length != 0) std::swap(batch[rest++], batch[i]);
  batch.resize(rest);
  if (dropped > 0) spdlog::debug("IPsec: {} packets could not be sealed", dropped);
  process();
}

bool IpsecEndpoint::send_transport(ByteView payload, const Endpoint& to, std::uint16_t source_port,
                                   std::uint16_t destination_port) {
  control_batch_.clear();
  Packet& p = control_batch_.push_back(payload, to);
  if (p.length != payload.size()) return false;
  if (!stack_.seal_transport(p, to, source_port, destination_port, io::SystemClock::now(), out_))
    return false;
  send_sealed(control_batch_, 1);
  process();
  return true;
}

void IpsecEndpoint::send_tunnel_batch(io::PacketBatch& batch) {
  const TimePoint now = io::SystemClock::now();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (stack_.seal_tunnel(batch[i], now, out_)) {
      if (kept != i) std::swap(batch[kept], batch[i]);
      ++kept;
    }
  batch.resize(kept);
  send_sealed(batch, kept);
  process();
}

nlohmann::json IpsecEndpoint::status_json(int ike_version) const {
  nlohmann::json j;
  j["ike_version"] = ike_version;
  const ipsec::ike::Engine* engine = stack_.engine(ike_version);
  nlohmann::json ike = nlohmann::json::array();
  if (engine != nullptr)
    for (const auto& s : engine->summaries())
      ike.push_back({{"handle", s.handle},
                     {"peer", s.peer},
                     {"remote", s.remote.to_string()},
                     {"initiator", s.initiator},
                     {"established", s.established},
                     {"suite", s.suite},
                     {"child_sas", s.inbound_spis.size()}});
  j["ike_sas"] = std::move(ike);
  // What ICMP said about the underlay towards each peer, while it holds.
  nlohmann::json underlay = nlohmann::json::object();
  for (const auto& k : underlay_mtus_.known(io::SystemClock::now()))
    underlay[k.peer.to_string()] = k.path_mtu;
  j["underlay_path_mtu"] = std::move(underlay);
  nlohmann::json children = nlohmann::json::array();
  for (const auto* e : stack_.sad().entries()) {
    if (e->ike_version != ike_version) continue;
    const auto& in = e->inbound.stats();
    char spi_in[9], spi_out[9];
    std::snprintf(spi_in, sizeof spi_in, "%08x", e->inbound.spi());
    std::snprintf(spi_out, sizeof spi_out, "%08x", e->outbound.spi());
    children.push_back({{"spi_in", spi_in},
                        {"spi_out", spi_out},
                        {"peer", e->peer.to_string()},
                        {"mode", mode_name(e->mode)},
                        {"suite", e->suite},
                        {"udp_encapsulated", e->udp_encapsulated},
                        {"local", selectors_text(e->local)},
                        {"remote", selectors_text(e->remote)},
                        {"carries_outbound", e->carries_outbound},
                        {"packets_in", in.packets},
                        {"bytes_in", in.bytes},
                        {"packets_out", e->packets_out},
                        {"bytes_out", e->bytes_out},
                        {"replayed", in.replayed},
                        {"authentication_failed", in.authentication_failed},
                        {"policy_dropped", e->policy_dropped}});
  }
  j["child_sas"] = std::move(children);
  const auto& st = stack_.stats();
  const auto& sad = stack_.sad().stats();
  nlohmann::json counters{{"esp_delivered", st.esp_delivered},
                          {"esp_dropped", st.esp_dropped},
                          {"esp_sent", st.esp_sent},
                          {"no_sa", st.no_sa},
                          {"keepalives", st.keepalives},
                          {"invalid", st.invalid},
                          {"unknown_spi", sad.unknown_spi},
                          {"replayed", sad.replayed},
                          {"authentication_failed", sad.authentication_failed},
                          {"policy_dropped", sad.policy_dropped}};
  if (engine != nullptr)
    for (const auto& [name, value] : engine->counters()) counters["ike_" + name] = value;
  j["counters"] = std::move(counters);
  return j;
}

}  // namespace tandem::daemon
