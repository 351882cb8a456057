#include "daemon/wireguard_interface.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <nlohmann/json.hpp>

#include "crypto/constant_time.hpp"
#include "crypto/key_encoding.hpp"
#include "daemon/event_sink.hpp"
#include "daemon/offloads.hpp"
#include "io/resolve.hpp"
#include "packet/tcp_mss.hpp"

namespace tandem::daemon {
namespace {

// Collects what the engine asks for into batches the calling thread sends or writes after it
// has released the lock, and logs its events (the device lock is held whenever it is called).
class BatchActions final : public wireguard::DeviceActions {
 public:
  BatchActions(io::PacketBatch& datagrams, io::PacketBatch* deliveries, wireguard::Device& device,
               PeerEventLog& log, TimePoint now, HybridLink* link, KeyGroups* groups = nullptr,
               WireguardMtuProbing* probing = nullptr)
      : datagrams_(datagrams),
        deliveries_(deliveries),
        device_(device),
        log_(log),
        now_(now),
        link_(link),
        groups_(groups),
        probing_(probing) {}
  void send_datagram(const Endpoint& to, ByteView datagram) override {
    if (!datagrams_.full()) datagrams_.push_back(datagram, to);
  }
  void deliver_inner_packet(ByteView packet) override {
    if (deliveries_ && !deliveries_->full()) deliveries_->push_back(packet);
  }
  void on_event(const wireguard::DeviceEvent& e) override {
    if (link_) report_state(e);
    if (probing_ && !probing_->empty()) probing_->on_event(device_, e, now_);
    if (groups_ && !groups_->empty() && e.kind == wireguard::DeviceEvent::Kind::kHandshakeCompleted)
      if (const auto from = groups_->on_handshake(device_, e.peer)) {
        const auto& to = device_.peer(e.peer)->remote.public_key;
        spdlog::info("peer {}: the account's addresses move to it from its other key {}",
                     log_.name_of(to), log_.name_of(*from));
        events().emit("wireguard.key_switched", {{"peer", log_.name_of(to)},
                                                 {"public_key", crypto::base64_encode(to)},
                                                 {"previous_key", crypto::base64_encode(*from)}});
      }
    std::optional<wireguard::PublicKey> key;
    if (const wireguard::Peer* p = e.peer ? device_.peer(e.peer) : nullptr)
      key = p->remote.public_key;
    if (events().enabled()) emit_event(e, key);
    auto line = log_.describe(e, key, now_);
    if (!line) return;
    if (line->warning)
      spdlog::warn("{}", line->text);
    else
      spdlog::info("{}", line->text);
  }

 private:
  io::PacketBatch& datagrams_;
  io::PacketBatch* deliveries_;
  wireguard::Device& device_;
  PeerEventLog& log_;
  TimePoint now_;
  HybridLink* link_;
  KeyGroups* groups_;
  WireguardMtuProbing* probing_;

  // Handshakes and refused initiations, for the node's event log (event_sink.hpp).
  void emit_event(const wireguard::DeviceEvent& e, const std::optional<wireguard::PublicKey>& key) {
    using K = wireguard::DeviceEvent::Kind;
    const char* kind = nullptr;
    std::string reason;
    switch (e.kind) {
      case K::kHandshakeCompleted:
        kind = "wireguard.handshake";
        break;
      case K::kHandshakeGaveUp:
        kind = "wireguard.handshake_failed";
        reason = "no answer to the initiations";
        break;
      case K::kResponseNotAuthenticated:
        kind = "wireguard.handshake_refused";
        reason = "the response did not authenticate (a pre-shared key mismatch?)";
        break;
      case K::kInitiationFromUnknownKey:
        kind = "wireguard.handshake_refused";
        reason = "an initiation from a key that is no peer";
        break;
      case K::kInitiationReplayed:
        kind = "wireguard.handshake_refused";
        reason = "a replayed initiation";
        break;
      default:
        return;
    }
    nlohmann::json fields = {{"endpoint", e.endpoint.to_string()}};
    const auto public_key =
        key ? key
            : (e.kind == K::kInitiationFromUnknownKey ? std::optional(e.public_key) : std::nullopt);
    if (public_key) {
      fields["public_key"] = crypto::base64_encode(*public_key);
      if (key) fields["peer"] = log_.name_of(*key);
    }
    if (e.kind == K::kHandshakeCompleted)
      fields["role"] = e.we_initiated ? "initiator" : "responder";
    if (!reason.empty()) fields["reason"] = reason;
    events().emit(kind, std::move(fields));
  }

  // A hybrid client's fallback hears what the handshakes say about its WireGuard path.
  void report_state(const wireguard::DeviceEvent& e) {
    using K = wireguard::DeviceEvent::Kind;
    if (e.kind == K::kHandshakeCompleted)
      link_->protocol_state(hybrid::PathKind::kWireguard, true, "handshake completed");
    else if (e.kind == K::kHandshakeGaveUp)
      link_->protocol_state(hybrid::PathKind::kWireguard, false, "handshake gave up");
  }
};

constexpr std::size_t kBatch = 64;

}  // namespace

Result<std::unique_ptr<WireguardInterface>, std::string> WireguardInterface::create(
    const std::string& name, unsigned mtu, std::uint16_t listen_port) {
  auto tun = open_offloaded_tun(name, mtu);
  if (!tun) return Err(tun.error());
  return assemble(std::move(*tun), nullptr, nullptr, mtu, listen_port, nullptr);
}

Result<std::unique_ptr<WireguardInterface>, std::string> WireguardInterface::create_path(
    io::TunDevice& tun, unsigned mtu, std::uint16_t listen_port, HybridLink& link,
    DatagramCarrier* carrier) {
  return assemble(std::nullopt, &tun, &link, mtu, listen_port, carrier);
}

Result<std::unique_ptr<WireguardInterface>, std::string> WireguardInterface::assemble(
    std::optional<io::TunDevice> own_tun, io::TunDevice* tun, HybridLink* link, unsigned mtu,
    std::uint16_t listen_port, DatagramCarrier* carrier) {
  std::optional<io::UdpTransport> udp;
  if (!carrier) {
    auto opened = io::UdpTransport::open(listen_port);
    if (!opened) return Err(opened.error());
    udp = std::move(*opened);
    // The underlay's path MTU from ICMP: datagrams leave with DF, and what comes back too big
    // holds the peer's packets to the path instead of the kernel fragmenting ours.
    if (auto ok = udp->enable_path_mtu_discovery(); !ok)
      spdlog::warn(
          "underlay path MTU discovery unavailable ({}): datagrams too big for the "
          "path are fragmented by the kernel",
          ok.error());
    apply_udp_offloads(*udp);
  }
  auto loop = io::EventLoop::create();
  if (!loop) return Err(loop.error());
  // Signals are blocked before any thread exists (worker pools start with the interface), so
  // only the control loop's signalfd ever sees them.
  io::EventLoop* raw_loop = loop->get();
  // This handler serves `tandem userspace`, which has no file to reload (`tandem up` replaces it).
  auto on_signal = [raw_loop](int sig) {
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: no config file to reload; this interface is configured over the UAPI");
      return;
    }
    spdlog::info("signal {}: shutting down", sig);
    raw_loop->stop();
  };
  if (auto ok = raw_loop->handle_signals(io::EventLoop::daemon_signals(), on_signal); !ok)
    return Err(ok.error());
  auto iface = std::unique_ptr<WireguardInterface>(new WireguardInterface(
      std::move(own_tun), tun, link, std::move(udp), carrier, listen_port, std::move(*loop)));
  raw_loop->set_wake_handler([raw = iface.get()] { raw->on_wake(); });
  iface->device_.set_mtu(mtu);
  iface->mtu_ = mtu;
  iface->device_mtu_.emplace(mtu);
  auto timer = iface->control_loop_->add_timer([raw = iface.get()] { raw->on_timer(); });
  if (!timer) return Err(timer.error());
  iface->timer_ = *timer;
  return iface;
}

WireguardInterface::WireguardInterface(std::optional<io::TunDevice> own_tun, io::TunDevice* tun,
                                       HybridLink* link, std::optional<io::UdpTransport> udp,
                                       DatagramCarrier* carrier, std::uint16_t carried_port,
                                       std::unique_ptr<io::EventLoop> control_loop)
    : own_tun_(std::move(own_tun)),
      tun_(own_tun_ ? &*own_tun_ : tun),
      link_(link),
      udp_(std::move(udp)),
      carrier_(carrier),
      carried_port_(carried_port),
      carried_in_(kBatch),
      device_(rng_, wall_),
      mtu_probing_(rng_, events_),
      control_loop_(std::move(control_loop)),
      sender_pool_(io::WorkerPool::default_worker_count()),
      receiver_pool_(io::WorkerPool::default_worker_count()),
      tx_batch_(kBatch),
      rx_batch_(kBatch),
      tx_control_(kBatch),
      rx_control_(kBatch * 2),
      timer_control_(kBatch * 4),
      tun_out_(kBatch),
      tx_fragments_(kBatch),
      probe_batch_(kBatch),
      probe_jobs_(kBatch),
      seal_jobs_(kBatch),
      send_verdicts_(kBatch),
      open_jobs_(kBatch),
      receive_verdicts_(kBatch),
      opened_(kBatch) {}

WireguardInterface::~WireguardInterface() {
  stop_data_threads();
}

void WireguardInterface::send_datagrams(io::PacketBatch& batch) {
  if (batch.empty()) return;
  if (carrier_) {
    carrier_->carry(batch, 0, batch.size(), carried_port_);
    return;
  }
  udp_->send_batch(batch);
  if (!gso_lost_.load(std::memory_order_relaxed) && udp_->gso_lost() && !gso_lost_.exchange(true))
    spdlog::warn("{}: UDP GSO refused by the outgoing device (EIO); sending datagram by datagram",
                 name());
}

void WireguardInterface::send_control(io::PacketBatch& batch) {
  send_datagrams(batch);
  batch.clear();
}

void WireguardInterface::receive_carried(ByteView datagram, const Endpoint& from) {
  {
    std::lock_guard lock(carried_mutex_);
    if (carried_in_.full()) return;
    carried_in_.push_back(datagram, from);
  }
  if (receiver_loop_) receiver_loop_->wake();
}

void WireguardInterface::on_receiver_wake() {
  if (stopping_) {
    receiver_loop_->stop();
    return;
  }
  std::size_t n = 0;
  {
    std::lock_guard lock(carried_mutex_);
    // Both batches hold kBatch slots: the carried datagrams become this turn's receive batch.
    std::swap(rx_batch_, carried_in_);
    n = rx_batch_.size();
    carried_in_.clear();
  }
  if (n > 0) open_received(n);
}

void WireguardInterface::on_wake() {
  if (shutdown_requested_) control_loop_->stop();
  apply_resolved_endpoints();
  if (link_) link_->on_control_wake();
}

std::uint64_t WireguardInterface::drops(wireguard::DropReason reason) {
  std::lock_guard lock(mutex_);
  return device_.drops(reason);
}

void WireguardInterface::wake_sender() {
  if (sender_loop_) sender_loop_->wake();
}

void WireguardInterface::on_sender_wake() {
  // The last turn still sends what the link queued before the stop: a nested tunnel's goodbye
  // (its IKE Delete) is queued as it hangs up, just before the control loop ends and stops us.
  const bool last_turn = stopping_;
  if (link_) {
    tx_batch_.clear();
    link_->wireguard_injected(tx_batch_);
    if (!tx_batch_.empty()) seal_and_send();
  }
  if (last_turn) sender_loop_->stop();
}

void WireguardInterface::set_peer_name(const wireguard::PublicKey& peer, std::string name) {
  std::lock_guard lock(mutex_);
  events_.set_name(peer, std::move(name));
}

std::string WireguardInterface::peer_name(const wireguard::PublicKey& peer) {
  std::lock_guard lock(mutex_);
  return events_.name_of(peer);
}

void WireguardInterface::resolve_endpoint_in_background(const wireguard::PublicKey& peer,
                                                        const std::string& host,
                                                        std::uint16_t port) {
  if (!resolver_)
    resolver_ = std::make_unique<BackgroundResolver>(
        io::resolve_endpoint, [loop = control_loop_.get()] { loop->wake(); });
  resolver_->add({peer, peer_name(peer), host, port});
}

// On the control thread: endpoints the helper thread resolved become the peers' endpoints.
void WireguardInterface::apply_resolved_endpoints() {
  if (!resolver_) return;
  io::PacketBatch out(kBatch);
  for (const auto& r : resolver_->take_resolved()) {
    std::lock_guard lock(mutex_);
    const TimePoint now = io::SystemClock::now();
    BatchActions actions(out, nullptr, device_, events_, now, link_, &key_groups_, &mtu_probing_);
    const auto id = device_.find_peer(r.request.peer);
    const wireguard::Peer* p = id ? device_.peer(*id) : nullptr;
    if (!p) {
      spdlog::info("peer {}: {} resolved to {}, but the peer is gone", r.request.peer_name,
                   r.request.host, r.endpoint.to_string());
    } else if (p->endpoint) {
      // It reached us meanwhile (or was set over the UAPI): that endpoint is known to work.
      spdlog::info("peer {}: {} resolved to {}; keeping endpoint {} it has meanwhile",
                   r.request.peer_name, r.request.host, r.endpoint.to_string(),
                   p->endpoint->to_string());
    } else {
      device_.set_endpoint(*id, r.endpoint);
      spdlog::info("peer {}: {} resolved: endpoint set to {}", r.request.peer_name, r.request.host,
                   r.endpoint.to_string());
      // As when the config is applied with an endpoint: a persistent keepalive goes out at once,
      // for a peer that can reach us only after we have spoken (we are behind NAT).
      if (const std::uint16_t keepalive = p->persistent_keepalive_interval; keepalive != 0) {
        device_.set_persistent_keepalive(*id, 0, now, actions);
        device_.set_persistent_keepalive(*id, keepalive, now, actions);
      }
    }
  }
  send_control(out);
}

void WireguardInterface::on_tun_readable() {
  // A super-packet cut into more segments than the batch holds leaves the rest in the device
  // object, not the kernel: take it now, since epoll will not report it.
  do {
    read_tun_batch();
  } while (tun_->has_pending() && !stopping_);
}

void WireguardInterface::read_tun_batch() {
  auto n = tun_->read_batch(tx_batch_);
  if (!n) {
    if (n.error().code == EAGAIN || n.error().code == EINTR) return;
    // The interface was deleted under us (`ip link del`, wg-quick down): shut down, as
    // wireguard-go does, instead of spinning on a dead descriptor.
    spdlog::info("TUN device gone ({}): shutting down", n.error().text());
    sender_loop_->unwatch(tun_->fd());
    shutdown_requested_ = true;
    control_loop_->wake();
    return;
  }
  if (*n == 0) return;
  // In a hybrid interface the router takes the packets other paths carry.
  if (link_) link_->wireguard_outbound(tx_batch_);
  // SYNs leaving through the tunnel ask for no more than it carries.
  for (const Packet& p : tx_batch_) packet::clamp_tcp_mss_to_mtu(p.bytes(), mtu_);
  if (!tx_batch_.empty()) seal_and_send();
}

void WireguardInterface::seal_and_send() {
  seal_batch_and_send();
  if (tx_fragments_.empty()) return;
  // The fragments of packets too big for their peer's path: each fits it.
  std::swap(tx_batch_, tx_fragments_);
  tx_fragments_.clear();
  seal_batch_and_send();
  tx_fragments_.clear();
}

void WireguardInterface::seal_batch_and_send() {
  const std::size_t n = tx_batch_.size();
  const TimePoint now = io::SystemClock::now();
  {
    std::lock_guard lock(mutex_);
    BatchActions actions(tx_control_, nullptr, device_, events_, now, link_, &key_groups_,
                         &mtu_probing_);
    // With probing: a large TCP segment sent again has its peer's size in use probed now.
    const bool watch = !mtu_probing_.empty();
    for (std::size_t i = 0; i < n; ++i) {
      if (watch && retransmits_.on_outbound(tx_batch_[i].bytes()))
        mtu_probing_.note_large_retransmit(device_, tx_batch_[i].bytes(), now);
      send_verdicts_[i] = device_.prepare_send(tx_batch_[i], now, seal_jobs_[i], actions);
    }
  }
  OversizeTally too_big;
  for (std::size_t i = 0; i < n; ++i)
    if (send_verdicts_[i] == wireguard::SendVerdict::kTooBig)
      handle_oversize_packet(tx_batch_[i].bytes(), seal_jobs_[i].mtu, *tun_, tx_fragments_,
                             too_big);
  if (too_big.any()) {
    too_big_icmp_ += too_big.icmp;
    too_big_fragmented_ += too_big.fragmented;
    too_big_dropped_ += too_big.dropped;
  }
  sender_pool_.run(
      n,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i)
          if (send_verdicts_[i] == wireguard::SendVerdict::kSeal)
            wireguard::Device::seal(tx_batch_[i], seal_jobs_[i]);
      },
      8);
  // Keep the sealed packets, in order, at the front of the batch.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (send_verdicts_[i] == wireguard::SendVerdict::kSeal)
      std::swap(tx_batch_[kept++], tx_batch_[i]);
  tx_batch_.resize(kept);
  send_control(tx_control_);  // handshakes first: they may be what the data waits for
  if (kept) send_datagrams(tx_batch_);
}

void WireguardInterface::on_udp_errors(io::UdpSocket& socket) {
  const auto reports = take_too_big_reports(socket, "");
  if (reports.empty()) return;
  const TimePoint now = io::SystemClock::now();
  {
    std::lock_guard lock(mutex_);
    BatchActions actions(rx_control_, nullptr, device_, events_, now, link_, &key_groups_,
                         &mtu_probing_);
    for (const auto& r : reports) device_.on_path_too_big(r.destination, r.path_mtu, now, actions);
  }
  send_control(rx_control_);
}

void WireguardInterface::hold_peers_to_known_paths() {
  if (!udp_) return;  // nested: the outer path sizes the device
  std::vector<Endpoint> endpoints;
  {
    std::lock_guard lock(mutex_);
    for (const wireguard::PeerId id : device_.peer_ids())
      if (const wireguard::Peer* p = device_.peer(id); p && p->endpoint)
        endpoints.push_back(*p->endpoint);
  }
  const TimePoint now = io::SystemClock::now();
  for (const Endpoint& e : endpoints) {
    io::UdpSocket* socket = udp_->socket_for(e.address.family());
    if (!socket) continue;
    auto path = socket->path_mtu(e);
    if (!path) continue;
    const std::size_t needed =
        mtu_ + (e.address.is_v4() ? 20 : 40) + wireguard::kUdpTransportOverhead;
    if (*path >= needed) continue;
    std::lock_guard lock(mutex_);
    BatchActions actions(timer_control_, nullptr, device_, events_, now, link_, &key_groups_,
                         &mtu_probing_);
    device_.on_path_too_big(e, *path, now, actions);
  }
  send_control(timer_control_);
}

OversizeTally WireguardInterface::oversize() const {
  return {too_big_icmp_.load(), too_big_fragmented_.load(), too_big_dropped_.load()};
}

std::vector<WireguardInterface::PeerPathMtu> WireguardInterface::learned_path_mtus() {
  std::vector<PeerPathMtu> out;
  const TimePoint now = io::SystemClock::now();
  std::lock_guard lock(mutex_);
  for (const wireguard::PeerId id : device_.peer_ids()) {
    const wireguard::Peer* p = device_.peer(id);
    if (!p || !p->path_mtu || !p->endpoint) continue;
    if (now - p->path_mtu_learned >= wireguard::kPathMtuLifetime) continue;  // tried in full next
    out.push_back(
        {events_.name_of(p->remote.public_key), *p->endpoint, *p->path_mtu, device_.inner_mtu(*p)});
  }
  return out;
}

void WireguardInterface::set_peer_probed_mtu(const wireguard::PublicKey& public_key,
                                             std::optional<std::size_t> mtu) {
  std::lock_guard lock(mutex_);
  if (const auto id = device_.find_peer(public_key)) device_.set_probed_mtu(*id, mtu);
}

void WireguardInterface::set_key_group(const wireguard::PublicKey& key, std::uint32_t group,
                                       bool holds) {
  std::lock_guard lock(mutex_);
  key_groups_.set(key, group, holds);
}

std::optional<wireguard::PublicKey> WireguardInterface::key_for(const IpAddress& inner) {
  std::lock_guard lock(mutex_);
  const auto id = device_.peer_for(inner);
  const wireguard::Peer* peer = id ? device_.peer(*id) : nullptr;
  return peer ? std::optional(peer->remote.public_key) : std::nullopt;
}

std::optional<Endpoint> WireguardInterface::peer_endpoint(const wireguard::PublicKey& public_key) {
  std::lock_guard lock(mutex_);
  const auto id = device_.find_peer(public_key);
  const wireguard::Peer* peer = id ? device_.peer(*id) : nullptr;
  return peer ? peer->endpoint : std::nullopt;
}

std::optional<std::string> WireguardInterface::set_probed_mtu_for(const IpAddress& inner,
                                                                  std::optional<std::size_t> mtu) {
  std::lock_guard lock(mutex_);
  const auto id = device_.peer_for(inner);
  const wireguard::Peer* peer = id ? device_.peer(*id) : nullptr;
  if (!peer) return std::nullopt;
  device_.set_probed_mtu(*id, mtu);
  return events_.name_of(peer->remote.public_key);
}

nlohmann::json WireguardInterface::peer_mtu_status_for(const IpAddress& inner) {
  std::lock_guard lock(mutex_);
  const auto id = device_.peer_for(inner);
  const wireguard::Peer* peer = id ? device_.peer(*id) : nullptr;
  return peer ? mtu_probing_.peer_status(device_, *peer) : nlohmann::json();
}

void WireguardInterface::configure_mtu_probing(std::vector<IpAddress> sources,
                                               Duration raise_interval, std::size_t watched_flows) {
  std::lock_guard lock(mutex_);
  mtu_probing_.configure(name(), std::move(sources), raise_interval);
  retransmits_ = hybrid::RetransmitWatch(1280, watched_flows);
}

Result<Ok, std::string> WireguardInterface::set_mtu_probe_target(
    const wireguard::PublicKey& public_key, const std::optional<IpAddress>& target) {
  std::lock_guard lock(mutex_);
  return mtu_probing_.set_target(device_, public_key, target);
}

void WireguardInterface::on_udp_readable(io::UdpSocket& socket) {
  auto n = socket.recv_batch(rx_batch_);
  if (!n || *n == 0) return;
  open_received(*n);
}

void WireguardInterface::open_received(std::size_t count) {
  const TimePoint now = io::SystemClock::now();
  BatchActions actions(rx_control_, nullptr, device_, events_, now, link_, &key_groups_,
                       &mtu_probing_);
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < count; ++i)
      receive_verdicts_[i] = device_.prepare_receive(rx_batch_[i], now, open_jobs_[i], actions);
  }
  receiver_pool_.run(
      count,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i)
          opened_[i] = receive_verdicts_[i] == wireguard::ReceiveVerdict::kOpen &&
                       wireguard::Device::open(rx_batch_[i], open_jobs_[i]);
      },
      8);
  std::size_t kept = 0;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < count; ++i) {
      if (receive_verdicts_[i] != wireguard::ReceiveVerdict::kOpen) continue;
      if (!device_.complete_receive(rx_batch_[i], opened_[i] != 0, open_jobs_[i], now, actions))
        continue;
      // A reply to a path MTU probe is ours alone: the TUN device never sees it.
      if (!mtu_probing_.empty() &&
          mtu_probing_.take_reply(device_, open_jobs_[i].peer, rx_batch_[i].bytes(), now))
        continue;
      std::swap(rx_batch_[kept++], rx_batch_[i]);
    }
  }
  rx_batch_.resize(kept);
  send_control(rx_control_);
  if (kept && link_) link_->inbound(hybrid::PathKind::kWireguard, rx_batch_);
  // SYNs coming out of the tunnel too: the hosts behind this node then send segments it carries.
  for (const Packet& p : rx_batch_) packet::clamp_tcp_mss_to_mtu(p.bytes(), mtu_);
  if (!rx_batch_.empty()) tun_->write_batch(rx_batch_);
}

void WireguardInterface::on_timer() {
  const TimePoint now = io::SystemClock::now();
  std::optional<TimePoint> next;
  std::optional<std::size_t> probed;  // what a client's TUN device should show
  probe_batch_.clear();
  {
    std::lock_guard lock(mutex_);
    BatchActions actions(timer_control_, nullptr, device_, events_, now, link_, &key_groups_,
                         &mtu_probing_);
    device_.on_timer(now, actions);
    next = device_.next_deadline();
    if (!mtu_probing_.empty()) {
      mtu_probing_.run(device_, now, probe_batch_);
      // Into the send path as if read from the TUN device; kept are those it will seal.
      std::size_t kept = 0;
      for (std::size_t i = 0; i < probe_batch_.size(); ++i)
        if (device_.prepare_send(probe_batch_[i], now, probe_jobs_[kept], actions) ==
            wireguard::SendVerdict::kSeal)
          std::swap(probe_batch_[kept++], probe_batch_[i]);
      probe_batch_.resize(kept);
      const auto probe_due = mtu_probing_.next_deadline();
      if (probe_due && (!next || *probe_due < *next)) next = probe_due;
    }
    if (own_tun_) probed = mtu_probing_.client_device_mtu(device_);
  }
  send_control(timer_control_);
  send_probes();
  if (own_tun_) device_mtu_->follow(*tun_, probed, "its peer's path");
  // Timers set by the data threads are picked up at the next tick; WireGuard's timers are
  // seconds long, so a 100 ms tick is precise enough and needs no cross-thread signalling.
  const TimePoint tick = now + std::chrono::milliseconds(100);
  control_loop_->arm_timer(timer_, next ? std::min(*next, tick) : tick);
}

void WireguardInterface::send_probes() {
  if (probe_batch_.empty()) return;
  for (std::size_t i = 0; i < probe_batch_.size(); ++i)
    wireguard::Device::seal(probe_batch_[i], probe_jobs_[i]);
  send_datagrams(probe_batch_);
  probe_batch_.clear();
}

void WireguardInterface::sender_main() {
  if (auto ok = sender_loop_->run(); !ok) spdlog::error("sender: {}", ok.error());
}
void WireguardInterface::receiver_main() {
  if (auto ok = receiver_loop_->run(); !ok) spdlog::error("receiver: {}", ok.error());
}

void WireguardInterface::start_data_threads() {
  stopping_ = false;
  sender_loop_ = io::EventLoop::create().value();
  receiver_loop_ = io::EventLoop::create().value();
  sender_loop_->set_wake_handler([this] { on_sender_wake(); });
  receiver_loop_->set_wake_handler([this] { on_receiver_wake(); });
  (void)sender_loop_->watch_readable(tun_->fd(), [this] { on_tun_readable(); });
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6})
    if (io::UdpSocket* s = udp_ ? udp_->socket_for(family) : nullptr) {
      if (s->path_mtu_discovery())
        (void)receiver_loop_->watch_readable(
            s->fd(), [this, s] { on_udp_readable(*s); }, [this, s] { on_udp_errors(*s); });
      else
        (void)receiver_loop_->watch_readable(s->fd(), [this, s] { on_udp_readable(*s); });
    }
  sender_ = std::thread([this] { sender_main(); });
  receiver_ = std::thread([this] { receiver_main(); });
}

void WireguardInterface::stop_data_threads() {
  stopping_ = true;
  if (sender_.joinable()) {
    sender_loop_->wake();
    sender_.join();
  }
  if (receiver_.joinable()) {
    receiver_loop_->wake();
    receiver_.join();
  }
}

int WireguardInterface::apply(const control::UapiSet& set) {
  if (set.listen_port && carrier_) {
    carried_port_ = *set.listen_port;  // no socket: the port is only what datagrams are sent from
  } else if (set.listen_port && *set.listen_port != udp_->port()) {
    const bool running = sender_.joinable();
    if (running) stop_data_threads();
    auto rebound = udp_->rebind(*set.listen_port);
    if (running) start_data_threads();
    if (!rebound) {
      spdlog::error("cannot listen on port {}: {}", *set.listen_port, rebound.error());
      return EADDRINUSE;
    }
  }
  // Nested, the datagrams never reach a socket: a mark has nothing to mark.
  if (set.fwmark && udp_ && *set.fwmark != udp_->fwmark()) {
    if (auto ok = udp_->set_fwmark(*set.fwmark); !ok) {
      spdlog::error("cannot set fwmark: {}", ok.error());
      return EPERM;
    }
  }
  io::PacketBatch out(kBatch);
  {
    std::lock_guard lock(mutex_);
    const TimePoint now = io::SystemClock::now();
    BatchActions actions(out, nullptr, device_, events_, now, link_, &key_groups_, &mtu_probing_);
    if (set.private_key) {
      if (crypto::constant_time_is_zero(set.private_key->bytes()))
        device_.set_private_key(std::nullopt);
      else
        device_.set_private_key(*set.private_key);
    }
    if (set.replace_peers) device_.remove_all_peers();
    for (const auto& p : set.peers) {
      auto existing = device_.find_peer(p.public_key);
      if (p.remove) {
        if (existing) device_.remove_peer(*existing);
        continue;
      }
      if (p.update_only && !existing) continue;
      // wireguard-go ignores a peer whose key is our own public key.
      if (device_.identity() && device_.identity()->public_key == p.public_key) continue;
      const auto id = existing ? *existing : device_.add_peer(p.public_key);
      if (p.preshared_key)
        device_.set_preshared_key(id, crypto::constant_time_is_zero(p.preshared_key->bytes())
                                          ? std::nullopt
                                          : std::optional(*p.preshared_key));
      if (p.endpoint) device_.set_endpoint(id, *p.endpoint);
      if (p.replace_allowed_ips) device_.clear_allowed_ips(id);
      for (const auto& prefix : p.allowed_ips) device_.add_allowed_ip(id, prefix);
      if (p.persistent_keepalive_interval)
        device_.set_persistent_keepalive(id, *p.persistent_keepalive_interval, now, actions);
    }
  }
  send_control(out);
  return 0;
}

control::UapiDeviceState WireguardInterface::snapshot() {
  control::UapiDeviceState s;
  s.listen_port = listen_port();
  s.fwmark = udp_ ? udp_->fwmark() : 0;
  std::lock_guard lock(mutex_);
  if (device_.identity()) s.private_key = device_.identity()->private_key;
  for (auto id : device_.peer_ids()) {
    const wireguard::Peer* p = device_.peer(id);
    control::UapiPeerState ps;
    ps.public_key = p->remote.public_key;
    if (p->has_preshared_key) ps.preshared_key = p->remote.preshared_key;
    ps.endpoint = p->endpoint;
    ps.persistent_keepalive_interval = p->persistent_keepalive_interval;
    if (p->last_handshake) {
      const auto ns = p->last_handshake->time_since_epoch().count();
      ps.last_handshake_time_sec = ns / 1'000'000'000;
      ps.last_handshake_time_nsec = ns % 1'000'000'000;
    }
    ps.rx_bytes = p->rx_bytes;
    ps.tx_bytes = p->tx_bytes;
    ps.allowed_ips = device_.allowed_ips(id);
    s.peers.push_back(std::move(ps));
  }
  return s;
}

std::string WireguardInterface::status_json() {
  nlohmann::json peers = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const wireguard::PeerId id : device_.peer_ids()) {
    const wireguard::Peer* p = device_.peer(id);
    nlohmann::json peer = mtu_probing_.peer_status(device_, *p);
    // A hybrid interface's path: a gateway probes its accounts' paths here, and only those.
    if (link_ && !peer.contains("mtu_probe_target"))
      peer["mtu_probe"]["reason"] =
          "a hybrid interface's path: its probing, where it has any, is the hybrid interface's";
    peer["public_key"] = crypto::base64_encode(p->remote.public_key);
    peer["name"] = events_.name_of(p->remote.public_key);
    peers.push_back(std::move(peer));
  }
  nlohmann::json drops = nlohmann::json::object();  // every reason, the ones at 0 too
  for (std::size_t r = 0; r < static_cast<std::size_t>(wireguard::DropReason::kCount); ++r) {
    const auto reason = static_cast<wireguard::DropReason>(r);
    drops[std::string(wireguard::drop_reason_name(reason))] = device_.drops(reason);
  }
  const nlohmann::json doc = {
      {"interface", name()}, {"mtu", device_.mtu()}, {"peers", peers}, {"drops", drops}};
  return doc.dump() + "\n\n";
}

control::InterfaceStatus WireguardInterface::interface_status() {
  // Through the UAPI's own text: one parser for what `wg`, the CLI and this report show.
  auto status = control::parse_uapi_get(name(), control::format_uapi_get(snapshot()));
  control::InterfaceStatus out;
  if (status)
    out = std::move(*status);
  else
    out.name = name();
  control::merge_peer_mtus(out, status_json());
  return out;
}

std::string WireguardInterface::handle_uapi(std::string_view request) {
  // Not part of the UAPI (`wg` never asks it): Tandem's own view for `tandem status`.
  if (request == "status\n\n") return status_json();
  auto parsed = control::parse_uapi_request(request);
  if (!parsed) {
    spdlog::warn("UAPI request refused: {}", parsed.error().message);
    return control::format_uapi_errno(parsed.error().errno_value);
  }
  if (std::holds_alternative<control::UapiGet>(*parsed))
    return control::format_uapi_get(snapshot());
  return control::format_uapi_errno(apply(std::get<control::UapiSet>(*parsed)));
}

Result<Ok, std::string> WireguardInterface::serve_uapi(const std::string& socket_path) {
  auto server = io::UnixSocketServer::listen(
      *control_loop_, socket_path, [this](std::string_view req) { return handle_uapi(req); });
  if (!server) return Err(server.error());
  uapi_ = std::move(*server);
  return Ok{};
}

void WireguardInterface::start() {
  if (!sender_.joinable()) start_data_threads();
}

Result<Ok, std::string> WireguardInterface::run() {
  start();
  control_loop_->arm_timer(timer_, io::SystemClock::now());
  auto result = control_loop_->run();
  stop_data_threads();
  uapi_.reset();
  return result;
}

}  // namespace tandem::daemon
