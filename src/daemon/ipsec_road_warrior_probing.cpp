// A hybrid gateway's IKEv2 road warriors probed for their path MTU (ipsec_tunnel_interface.hpp,
// road_warrior_probers.hpp): a prober from a road warrior's first Child SA to its last, its
// probes sealed in its SA, its replies taken out before the router sees them, and what it finds
// holding the packets to and from that road warrior.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/ipsec_tunnel_interface.hpp"
#include "io/system_clock.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::daemon {
namespace {

// The prefix a selector's range is, where it is one (a road warrior's address, its subnets).
std::optional<IpPrefix> prefix_of(const ipsec::ike::Selector& s) {
  const unsigned bits = s.start.is_v4() ? 32 : 128;
  for (unsigned length = 0; length <= bits; ++length) {
    const IpPrefix prefix(s.start, length);
    if (prefix.address() == s.start && prefix.last() == s.end) return prefix;
  }
  return std::nullopt;
}

}  // namespace

void IpsecTunnelInterface::probe_road_warrior(const hybrid::ChildSaChange& c) {
  const IpAddress address = c.remote[0].start;
  auto target = link_->road_warrior_probe_target(address);
  if (!target) return;
  RoadWarrior rw;
  rw.inner = address;
  for (const auto& selector : c.remote)
    if (const auto prefix = prefix_of(selector)) rw.reach.push_back(*prefix);
  rw.account = std::move(target->account);
  rw.underlay = c.peer.address;
  rw.max_mtu = config_.mtu;
  rw.probe = std::move(target->probe);
  road_warriors_.set_raise_interval(target->raise_interval);
  if (!routes_ && rw.probe.target) {
    // A new underlay route towards a road warrior: its search starts again at once.
    routes_.emplace(name());
    if (routes_->fd() >= 0)
      if (auto ok = loop_->watch_readable(routes_->fd(), [this] { follow_underlay_routes(); }); !ok)
        spdlog::warn("{}: underlay routes are not watched: {}", name(), ok.error());
  }
  road_warriors_.up(std::move(rw), io::SystemClock::now());
  // The route to it is remembered from now on.
  follow_underlay_routes();
}

void IpsecTunnelInterface::refresh_probe_targets() {
  const TimePoint now = io::SystemClock::now();
  for (RoadWarrior rw : road_warriors_.road_warriors()) {
    auto target = link_->road_warrior_probe_target(rw.inner);
    rw.probe = target ? std::move(target->probe)
                      : AccountProbeTarget{{}, {}, "no account has the address"};
    road_warriors_.up(std::move(rw), now);
  }
  rearm_probe_timer();
}

void IpsecTunnelInterface::follow_underlay_routes() {
  if (!routes_) return;
  routes_->begin_round();
  road_warriors_.restart_moved(
      [this](const IpAddress& underlay) -> std::optional<std::string> {
        const auto route = routes_->moved(underlay);
        return route ? std::optional(io::to_string(*route)) : std::nullopt;
      },
      io::SystemClock::now());
  routes_->end_round();
  rearm_probe_timer();
}

void IpsecTunnelInterface::run_road_warrior_probes() {
  probe_timer_at_.reset();
  probe_batch_.clear();
  road_warriors_.poll(io::SystemClock::now(), probe_batch_);
  // Each probe is held only to what ICMP said of the underlay (its size is what tests a larger
  // one): poll() asked limit_towards() for that.
  if (!probe_batch_.empty()) ipsec_->send_tunnel_batch(probe_batch_);
  probe_batch_.clear();
  rearm_probe_timer();
}

void IpsecTunnelInterface::rearm_probe_timer() {
  if (!loop_ || probe_timer_ == 0) return;
  const auto next = road_warriors_.next_deadline();
  if (next == probe_timer_at_) return;
  probe_timer_at_ = next;
  if (next)
    loop_->arm_timer(probe_timer_, *next);
  else
    loop_->disarm_timer(probe_timer_);
}

std::span<const ByteView> IpsecTunnelInterface::take_probe_replies(
    std::span<const ByteView> packets) {
  inbound_.clear();
  const TimePoint now = io::SystemClock::now();
  for (const ByteView p : packets)
    if (!road_warriors_.take_reply(p, now)) inbound_.push_back(p);
  if (inbound_.size() != packets.size()) rearm_probe_timer();
  return inbound_;
}

std::optional<std::size_t> IpsecTunnelInterface::road_warrior_limit(ByteView packet,
                                                                    bool to) const {
  if (road_warriors_.empty()) return std::nullopt;
  const auto header = packet::parse_ip_header(packet);
  if (!header) return std::nullopt;
  return road_warriors_.held_mtu(
      IpAddress::from_bytes(to ? header->destination : header->source, header->family));
}

}  // namespace tandem::daemon
