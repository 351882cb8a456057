#include "daemon/nested_interface.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/packet.hpp"
#include "daemon/admin_server.hpp"
#include "daemon/hybrid_interface.hpp"
#include "daemon/ipsec_tunnel_interface.hpp"
#include "daemon/l2tp_interface.hpp"
#include "daemon/l2tp_mtu.hpp"
#include "daemon/uapi_client.hpp"
#include "daemon/wireguard_setup.hpp"
#include "hybrid/mtu_budget.hpp"
#include "io/resolve.hpp"
#include "io/service_notify.hpp"
#include "io/system_clock.hpp"
#include "ipsec/ike/actions.hpp"
#include "packet/udp_datagram.hpp"

namespace tandem::daemon {
namespace {

// Packets queued between two turns of the thread that takes them; beyond this they are dropped.
constexpr std::size_t kQueue = 256;
constexpr std::size_t kSlot = 2048;
// How long WireGuard's sender waits for room in the control path's queue before it drops (as a
// hybrid client's does for its secondary): the device's own queue then slows the senders.
constexpr auto kQueueWait = std::chrono::milliseconds(50);
constexpr std::size_t kMaxReassembled = 65535;

std::size_t budget_inner(hybrid::StackKind kind, hybrid::EspSuite suite, unsigned underlay) {
  const hybrid::StackSpec spec{kind, IpAddress::Family::kV4, suite, true};
  auto b = hybrid::mtu_budget(spec, underlay);
  return b ? b->inner_mtu : 0;
}

hybrid::PathKind control_kind_of(const control::NodeConfig& config) {
  return config.l2tp ? hybrid::PathKind::kL2tpIpsec : hybrid::PathKind::kIpsecTunnel;
}

// An IPv4 fragment of a UDP datagram for `own`: the later pieces have no ports to check.
bool udp_fragment_to(ByteView packet, const IpAddress& own) {
  return own.is_v4() && packet.size() >= 20 &&
         std::to_integer<std::uint8_t>(packet[9]) == packet::kProtocolUdp &&
         IpAddress::from_bytes(packet.data() + 16, IpAddress::Family::kV4) == own;
}

}  // namespace

unsigned nested_mtu(const control::NodeConfig& config, unsigned wireguard_mtu) {
  const unsigned wireguard = wireguard_mtu;
  std::size_t mtu = 0;
  switch (config.nesting->outer) {
    case hybrid::PathKind::kL2tpIpsec:
      mtu = std::min<std::size_t>(
          wireguard, budget_inner(hybrid::StackKind::kWireguard, hybrid::EspSuite::kAesGcm16,
                                  config.l2tp->mtu));
      break;
    case hybrid::PathKind::kIpsecTunnel:
      mtu = std::min<std::size_t>(
          wireguard, budget_inner(hybrid::StackKind::kWireguard, hybrid::EspSuite::kAesGcm16,
                                  config.ipsec->mtu));
      break;
    default:
      if (config.l2tp) {
        // The costliest suite [l2tp.ipsec] allows (l2tp_mtu_over); its mtu caps it when given.
        mtu = l2tp_mtu_over(*config.l2tp, wireguard, IpAddress::Family::kV4);
        if (config.l2tp->mtu_given) mtu = std::min<std::size_t>(mtu, config.l2tp->mtu);
      } else {
        mtu = std::min<std::size_t>(
            config.ipsec->mtu,
            hybrid::costliest_esp_inner_mtu(hybrid::StackKind::kIpsecTunnel, wireguard));
      }
      break;
  }
  return static_cast<unsigned>(mtu);
}

control::NodeConfig with_outer_l2tp_mtu(const control::NodeConfig& config,
                                        const std::optional<Endpoint>& server, std::string* why) {
  control::NodeConfig c = config;
  if (c.nesting->outer != hybrid::PathKind::kL2tpIpsec || c.l2tp->mtu_given) return c;
  c.l2tp->mtu = l2tp_device_mtu(*c.l2tp, server, why);
  c.l2tp->mtu_given = true;
  return c;
}

Result<std::unique_ptr<NestedInterface>, std::string> NestedInterface::create(
    const control::NodeConfig& file_config) {
  // Inside another tunnel WireGuard's path is that tunnel, which nested_mtu() sizes it by: only
  // an mtu the file gives caps it. Outside, its own path sizes it as for any WireGuard device.
  const bool inside = file_config.nesting->outer != hybrid::PathKind::kWireguard;
  std::optional<Endpoint> l2tp_server;
  if (inside && file_config.l2tp && !file_config.l2tp->mtu_given)
    if (auto ep =
            io::resolve_endpoint(file_config.l2tp->server_host, file_config.l2tp->server_port))
      l2tp_server = *ep;
  std::string why;
  const control::NodeConfig config = with_outer_l2tp_mtu(file_config, l2tp_server, &why);
  if (!why.empty())
    spdlog::info("{}: L2TP/IPsec MTU {} ({})", config.interface->name, config.l2tp->mtu, why);
  why.clear();
  const unsigned wireguard_mtu =
      inside ? (config.interface->mtu_given ? config.interface->mtu
                                            : static_cast<unsigned>(kMaxTunnelMtu))
             : wireguard_device_mtu(config, &why);
  if (!inside)
    spdlog::info("{}: WireGuard MTU {} ({})", config.interface->name, wireguard_mtu, why);
  const unsigned mtu = nested_mtu(config, wireguard_mtu);
  if (mtu < 576)
    return Err("the nested stack leaves an MTU of " + std::to_string(mtu) +
               " bytes; raise the outer path's mtu");
  auto tun = io::TunDevice::create(config.interface->name, mtu);
  if (!tun) return Err("TUN device " + config.interface->name + ": " + tun.error());
  auto nl = io::Netlink::open();
  if (!nl) return Err(nl.error());
  auto iface = std::unique_ptr<NestedInterface>(
      new NestedInterface(config, std::move(*tun), std::move(*nl)));
  iface->mtu_ = mtu;
  // The inner section's MTU is the device's: PPP negotiates it as its MRU, the ESP tunnel clamps
  // MSS to it.
  if (!iface->wireguard_inside()) {
    if (iface->config_.l2tp) {
      iface->config_.l2tp->mtu = mtu;
      iface->config_.l2tp->mtu_given = true;
    }
    if (iface->config_.ipsec) iface->config_.ipsec->mtu = mtu;
  }
  const auto& ic = *config.interface;
  // Inside, WireGuard pads to the device's MTU; outside, to its own [interface] mtu.
  auto wg = WireguardInterface::create_path(
      iface->tun_, iface->wireguard_inside() ? mtu : wireguard_mtu, ic.listen_port, *iface,
      iface->wireguard_inside() ? iface.get() : nullptr);
  if (!wg) return Err("WireGuard path: " + wg.error());
  iface->wg_ = std::move(*wg);
  iface->loop_ = &iface->wg_->control_loop();
  if (auto ok = apply_peers(*iface->wg_, iface->config_, {}); !ok) return Err(ok.error());
  if (auto ok = iface->make_control_path(); !ok) return Err(ok.error());
  return iface;
}

NestedInterface::NestedInterface(const control::NodeConfig& config, io::TunDevice tun,
                                 io::Netlink netlink)
    : config_(config),
      outer_(config.nesting->outer),
      control_kind_(control_kind_of(config)),
      tun_(std::move(tun)),
      netlink_(std::move(netlink)),
      mtu_(0),
      to_control_(kQueue, kSlot, ControlPath::kInnerHeadroom),
      to_wireguard_(kQueue, kSlot),
      to_ipsec_(kQueue, kSlot),
      draining_(kQueue, kSlot, ControlPath::kInnerHeadroom),
      ipsec_draining_(kQueue, kSlot),
      reassembled_(1, kMaxReassembled + io::PacketBatch::kDefaultHeadroom) {}

NestedInterface::~NestedInterface() {
  // The paths call into this object from WireGuard's threads and the control loop: they go
  // first, the control path (and the endpoint registered with WireGuard's loop) before that loop.
  control_path_.reset();
  carried_ipsec_.reset();
  wg_.reset();
}

Result<Ok, std::string> NestedInterface::make_control_path() {
  HybridLink& link = *this;
  // Inside WireGuard, IPsec speaks from this node's [interface] address, through this carrier.
  std::optional<IpAddress> carried_from;
  if (!wireguard_inside())
    for (const auto& a : config_.interface->addresses)
      if (a.address.is_v4()) {
        carried_from = a.address;
        break;
      }
  if (!wireguard_inside() && !carried_from)
    return Err(
        std::string("[nesting] outer = \"wireguard\" needs an IPv4 [interface] address: "
                    "the inner tunnel's IKE and ESP leave from it"));
  if (config_.l2tp) {
    auto server = io::resolve_endpoint(config_.l2tp->server_host, config_.l2tp->server_port);
    if (!server) return Err("L2TP server " + config_.l2tp->server_host + ": " + server.error());
    if (carried_from)
      carried_ipsec_ = IpsecEndpoint::create_carried(
          *carried_from, {L2tpInterface::ike_engine(*config_.l2tp, *server)}, *this);
    auto path = L2tpInterface::create_path(*config_.l2tp, *server, link, carried_ipsec_);
    if (!path) return Err("L2TP/IPsec path: " + path.error());
    control_path_ = std::move(*path);
    return Ok{};
  }
  if (carried_from)
    carried_ipsec_ = IpsecEndpoint::create_carried(
        *carried_from, {IpsecTunnelInterface::ike_engine(*config_.ipsec)}, *this);
  auto path = IpsecTunnelInterface::create_path(*config_.ipsec, link, carried_ipsec_);
  if (!path) return Err("IPsec path: " + path.error());
  control_path_ = std::move(*path);
  return Ok{};
}

Result<Ok, std::string> NestedInterface::configure_device() {
  const int ifindex = tun_.index();
  if (wireguard_inside()) return daemon::configure_device(ifindex, config_, {});
  if (auto ok = netlink_.set_link_up(ifindex); !ok) return ok;
  // An inner ESP tunnel's addresses and remote subnets are known now; an inner L2TP session's
  // address comes with IPCP (configure_inner_address).
  if (config_.ipsec && !config_.l2tp) {
    for (const auto& a : config_.ipsec->addresses)
      if (auto ok = netlink_.add_address(ifindex, a); !ok)
        return Err("address " + a.to_string() + ": " + ok.error());
    for (const auto& conn : config_.ipsec->connections)
      for (const auto& prefix : conn.remote_subnets)
        if (auto ok = netlink_.add_route(io::Route{prefix, ifindex, std::nullopt, std::nullopt});
            !ok && ok.error().find("exists") == std::string::npos)
          return Err("route " + prefix.to_string() + ": " + ok.error());
  }
  return Ok{};
}

Result<Ok, std::string> NestedInterface::start() {
  if (auto ok = configure_device(); !ok) return ok;
  // WireGuard's threads first: the control path's first datagrams (an inner IKE's first
  // message) are for WireGuard's sender, which must be there to be woken.
  wg_->start();
  if (auto ok = control_path_->attach(*loop_); !ok) return ok;
  const bool l2tp = control_kind_ == hybrid::PathKind::kL2tpIpsec;
  if (auto ok = wg_->serve_uapi(uapi_socket_path(kUapiSocketDir, name())); !ok)
    return Err("cannot serve UAPI: " + ok.error());
  const char* control = l2tp ? "L2TP/IPsec" : "an ESP tunnel";
  if (wireguard_inside())
    spdlog::info("nested {}: WireGuard inside {} (port {} carried, no socket), MTU {}", name(),
                 control, wg_->listen_port(), mtu_);
  else
    spdlog::info("nested {}: {} inside WireGuard (UDP {}), MTU {}", name(), control,
                 wg_->listen_port(), mtu_);
  return Ok{};
}

Result<Ok, std::string> NestedInterface::run(const std::function<void()>& on_reload) {
  loop_->set_signal_handler([this, &on_reload](int sig) {
    if (sig == SIGHUP) {
      if (!stopping_) on_reload();
      return;
    }
    if (stopping_) return;
    stopping_ = true;
    io::notify_stopping();
    hang_up_for_stop(sig);
  });
  control_thread_ = std::this_thread::get_id();
  return wg_->run();
}

void NestedInterface::hang_up_for_stop(int sig) {
  spdlog::info("signal {}: hanging up {}", sig,
               control_kind_ == hybrid::PathKind::kL2tpIpsec ? "L2TP/IPsec" : "the IPsec tunnel");
  control_path_->shut_down([this] { loop_->stop(); });
}

// ---- the data path ------------------------------------------------------------------------

void NestedInterface::wireguard_outbound(io::PacketBatch& batch) {
  if (wireguard_inside()) {
    std::lock_guard lock(mutex_);
    counters_.inner_sent += batch.size();
    return;  // WireGuard seals them; carry() takes the datagrams
  }
  // The device's packets are the inner tunnel's: they go to the control thread, which waits,
  // bounded, for room rather than dropping (each drop costs a TCP retransmit).
  {
    std::unique_lock lock(mutex_);
    wait_for_room(lock, to_control_, batch.size());
    for (const Packet& p : batch) {
      if (to_control_.full()) {
        ++counters_.dropped_queue_full;
        continue;
      }
      to_control_.push_back(p.bytes());
      ++counters_.inner_sent;
    }
  }
  batch.clear();
  loop_->wake();
}

void NestedInterface::wireguard_injected(io::PacketBatch& batch) {
  std::lock_guard lock(mutex_);
  std::size_t used = 0;
  for (; used < to_wireguard_.size() && !batch.full(); ++used)
    batch.push_back(to_wireguard_[used].bytes());
  // What did not fit waits for the next turn, in order.
  std::size_t rest = 0;
  for (std::size_t i = used; i < to_wireguard_.size(); ++i)
    std::swap(to_wireguard_[rest++], to_wireguard_[i]);
  to_wireguard_.resize(rest);
  wireguard_room_.notify_all();
  if (rest > 0) wg_->wake_sender();
}

void NestedInterface::wait_for_room(std::unique_lock<std::mutex>& lock, io::PacketBatch& queue,
                                    std::size_t n) {
  if (queue.capacity() - queue.size() >= n) return;
  const bool to_control = &queue == &to_control_;
  // The control thread drains to_control_ itself: it must not wait for its own turn.
  if (to_control && std::this_thread::get_id() == control_thread_) return;
  lock.unlock();
  if (to_control)
    loop_->wake();
  else
    wg_->wake_sender();
  lock.lock();
  (to_control ? control_room_ : wireguard_room_).wait_for(lock, kQueueWait, [&] {
    return queue.capacity() - queue.size() >= n;
  });
}

bool NestedInterface::wrap_into(io::PacketBatch& queue, ByteView datagram, const Endpoint& from,
                                const Endpoint& to) {
  if (queue.full()) {
    ++counters_.dropped_queue_full;
    return false;
  }
  Packet& p = queue.push_back();
  const MutableByteView room = p.room();
  const std::size_t headers = packet::udp_headers_size(from.address.family());
  if (headers + datagram.size() > room.size()) {
    queue.resize(queue.size() - 1);
    ++counters_.dropped_too_big;
    return false;
  }
  std::copy(datagram.begin(), datagram.end(), room.begin() + static_cast<std::ptrdiff_t>(headers));
  // Without DF: the outer path may learn a smaller underlay than the inner protocol was sized
  // for (ICMP on its sockets), and then fragments what no longer fits, which the far end
  // reassembles, as a kernel does for a UDP socket's datagrams.
  p.length = packet::write_udp_headers(room, from, to, datagram.size(), next_ip_id_++);
  if (p.length == 0) {
    queue.resize(queue.size() - 1);
    ++counters_.dropped_too_big;
    return false;
  }
  ++counters_.carried_out;
  return true;
}

std::optional<IpAddress> NestedInterface::outer_source() const {
  switch (outer_) {
    case hybrid::PathKind::kL2tpIpsec:
      return outer_up_ ? outer_address_ : std::nullopt;
    case hybrid::PathKind::kIpsecTunnel:
      if (outer_up_ && !config_.ipsec->addresses.empty())
        return config_.ipsec->addresses.front().address;
      return std::nullopt;
    default:
      for (const auto& a : config_.interface->addresses)
        if (a.address.is_v4()) return a.address;
      return std::nullopt;
  }
}

void NestedInterface::carry(io::PacketBatch& batch, std::size_t begin, std::size_t end,
                            std::uint16_t source_port) {
  if (begin == end) return;
  {
    std::unique_lock lock(mutex_);
    const auto source = outer_source();
    if (!source) {
      counters_.dropped_outer_down += end - begin;
    } else {
      io::PacketBatch& queue = wireguard_inside() ? to_control_ : to_wireguard_;
      wait_for_room(lock, queue, end - begin);
      for (std::size_t i = begin; i < end; ++i)
        wrap_into(queue, batch[i].bytes(), {*source, source_port}, batch[i].endpoint);
    }
  }
  if (wireguard_inside())
    loop_->wake();
  else
    wg_->wake_sender();
}

void NestedInterface::carry_one(ByteView datagram, const Endpoint& to, std::uint16_t source_port) {
  {
    std::unique_lock lock(mutex_);
    const auto source = outer_source();
    if (!source) {
      ++counters_.dropped_outer_down;
    } else {
      io::PacketBatch& queue = wireguard_inside() ? to_control_ : to_wireguard_;
      wait_for_room(lock, queue, 1);
      wrap_into(queue, datagram, {*source, source_port}, to);
    }
  }
  if (wireguard_inside())
    loop_->wake();
  else
    wg_->wake_sender();
}

void NestedInterface::inbound(hybrid::PathKind kind, io::PacketBatch& batch) {
  // WireGuard opened these: its inner traffic (for the device), or (outside) datagrams for the
  // inner IPsec, which the control thread takes.
  if (wireguard_inside()) {
    std::lock_guard lock(mutex_);
    counters_.delivered += batch.size();
    return;
  }
  (void)kind;
  bool queued = false;
  {
    std::lock_guard lock(mutex_);
    const auto own = outer_source();
    for (const Packet& p : batch) {
      const auto d = packet::parse_udp_datagram(p.bytes());
      // Fragments too (their later pieces have no ports): reassembled on the control thread.
      const bool for_ipsec = own && (d ? d->destination.address == *own &&
                                             (d->destination.port == ipsec::ike::kIkePort ||
                                              d->destination.port == ipsec::ike::kNatTraversalPort)
                                       : udp_fragment_to(p.bytes(), *own));
      if (!for_ipsec) {
        ++counters_.dropped_not_nested;
      } else if (to_ipsec_.full()) {
        ++counters_.dropped_queue_full;
      } else {
        to_ipsec_.push_back(p.bytes());
        ++counters_.carried_in;
        queued = true;
      }
    }
  }
  batch.clear();
  if (queued) loop_->wake();
}

void NestedInterface::inbound(hybrid::PathKind kind, std::span<const ByteView> packets) {
  (void)kind;
  if (!wireguard_inside()) {
    // The inner tunnel opened these: they are the device's.
    for (const ByteView p : packets)
      if (auto ok = tun_.write(p); !ok) spdlog::debug("TUN write: {}", ok.error().text());
    std::lock_guard lock(mutex_);
    counters_.delivered += packets.size();
    return;
  }
  // The outer path opened these: WireGuard's datagrams, to this node's address and its port.
  std::optional<IpAddress> own;
  {
    std::lock_guard lock(mutex_);
    own = outer_source();
  }
  std::uint64_t carried = 0, other = 0;
  const TimePoint now = io::SystemClock::now();
  for (const ByteView p : packets) {
    ByteView whole = p;
    if (packet::is_ipv4_fragment(p)) {
      // A peer whose MTU is larger than the outer path's has its datagrams cut on the way.
      if (!own || !udp_fragment_to(p, *own)) {
        ++other;
        continue;
      }
      const auto done = reassembler_.add(p, now);
      if (!done) continue;
      whole = *done;
    }
    const auto d = packet::parse_udp_datagram(whole);
    if (d && own && d->destination.address == *own && d->destination.port == wg_->listen_port()) {
      wg_->receive_carried(d->payload, d->source);
      ++carried;
    } else {
      ++other;
    }
  }
  std::lock_guard lock(mutex_);
  counters_.carried_in += carried;
  counters_.dropped_not_nested += other;
  counters_.reassembled = reassembler_.stats().reassembled;
}

void NestedInterface::protocol_state(hybrid::PathKind kind, bool up, const std::string& detail,
                                     std::optional<IpAddress> address) {
  if (kind == hybrid::PathKind::kWireguard) {
    spdlog::info("nested {}: WireGuard {}", name(), detail);
    return;
  }
  // The control path reports on the control thread.
  if (wireguard_inside()) {
    std::lock_guard lock(mutex_);
    outer_up_ = up;
    outer_address_ = up ? address : std::nullopt;
    outer_detail_ = detail;
  } else {
    configure_inner_address(up, address);
  }
  spdlog::info("nested {}: {} {} {}{}", name(), wireguard_inside() ? "outer" : "inner",
               hybrid::path_kind_name(kind), detail,
               address ? " (" + address->to_string() + ")" : std::string());
}

void NestedInterface::configure_inner_address(bool up, const std::optional<IpAddress>& address) {
  const int ifindex = tun_.index();
  if (inner_address_ && (!up || !address || inner_address_->address != *address)) {
    (void)netlink_.delete_address(ifindex, *inner_address_);
    inner_address_.reset();
  }
  if (!up || !address || inner_address_ || !config_.l2tp) return;
  const InterfaceAddress a{*address, 32};
  if (auto ok = netlink_.add_address(ifindex, a); !ok) {
    spdlog::error("nested {}: address {}: {}", name(), a.to_string(), ok.error());
    return;
  }
  inner_address_ = a;
  for (const auto& prefix : config_.l2tp->routes)
    if (auto ok = netlink_.add_route(io::Route{prefix, ifindex, std::nullopt, std::nullopt});
        !ok && ok.error().find("exists") == std::string::npos)
      spdlog::warn("nested {}: route {}: {}", name(), prefix.to_string(), ok.error());
}

void NestedInterface::on_control_wake() {
  {
    std::lock_guard lock(mutex_);
    std::swap(to_control_, draining_);
    to_control_.clear();
    std::swap(to_ipsec_, ipsec_draining_);
    to_ipsec_.clear();
  }
  control_room_.notify_all();
  if (!draining_.empty() && !stopping_) control_path_->send_inner(draining_);
  draining_.clear();
  const TimePoint now = io::SystemClock::now();
  for (Packet& queued : ipsec_draining_) {
    Packet* datagram = &queued;
    if (packet::is_ipv4_fragment(queued.bytes())) {
      const auto whole = reassembler_.add(queued.bytes(), now);
      if (!whole) continue;
      reassembled_.clear();
      datagram = &reassembled_.push_back(*whole);
    }
    Packet& p = *datagram;
    const auto d = packet::parse_udp_datagram(p.bytes());
    if (!d) continue;  // checked when it was queued, or not a whole datagram after all
    const std::size_t offset =
        p.offset + static_cast<std::size_t>(d->payload.data() - p.bytes().data());
    const std::uint16_t local_port = d->destination.port;
    p.endpoint = d->source;
    p.set_range(offset, d->payload.size());
    carried_ipsec_->receive_carried(p, local_port);
  }
  ipsec_draining_.clear();
  std::lock_guard lock(mutex_);
  counters_.reassembled = reassembler_.stats().reassembled;
}

nlohmann::json NestedInterface::admin_document() {
  nlohmann::json doc = status_document("nested", status_json());
  doc["wireguard"] = wireguard_document(*wg_);
  const char* kind = control_kind_ == hybrid::PathKind::kL2tpIpsec ? "l2tp" : "ipsec";
  if (control_path_) doc[kind] = status_document(kind, control_path_->status_json());
  return doc;
}

std::string NestedInterface::status_json() {
  nlohmann::json j;
  j["interface"] = name();
  j["role"] = "nested";
  j["outer"] = hybrid::path_kind_name(outer_);
  j["inner"] =
      hybrid::path_kind_name(wireguard_inside() ? hybrid::PathKind::kWireguard : control_kind_);
  j["mtu"] = mtu_;
  std::lock_guard lock(mutex_);
  const auto source = outer_source();
  j["outer_up"] = wireguard_inside() ? outer_up_ : true;
  if (source) j["outer_address"] = source->to_string();
  if (!outer_detail_.empty()) j["outer_detail"] = outer_detail_;
  if (inner_address_) j["inner_address"] = inner_address_->to_string();
  j["counters"] = {{"carried_out", counters_.carried_out},
                   {"carried_in", counters_.carried_in},
                   {"inner_sent", counters_.inner_sent},
                   {"delivered", counters_.delivered},
                   {"dropped_outer_down", counters_.dropped_outer_down},
                   {"dropped_queue_full", counters_.dropped_queue_full},
                   {"dropped_not_nested", counters_.dropped_not_nested},
                   {"dropped_too_big", counters_.dropped_too_big},
                   {"reassembled", counters_.reassembled}};
  return j.dump(2) + "\n\n";
}

}  // namespace tandem::daemon
