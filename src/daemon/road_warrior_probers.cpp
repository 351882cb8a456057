// RoadWarriorProbers (road_warrior_probers.hpp).
#include "daemon/road_warrior_probers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/echo_probes.hpp"
#include "daemon/mtu_probe_status.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::daemon {
namespace {

// IPv6's minimum MTU (RFC 8200 section 5), where a search starts (RFC 8899 section 5.1.2).
constexpr std::size_t kBaseMtu = 1280;
// Room behind a probe for what sealing it adds (ESP trailer and ICV).
constexpr std::size_t kSealTailroom = 64;

}  // namespace

RoadWarriorProbers::RoadWarriorProbers(std::string interface_name, Rng& rng)
    : interface_name_(std::move(interface_name)), rng_(rng) {}

template <typename Self>
auto* RoadWarriorProbers::owner(Self& self, const IpAddress& address) {
  using Entry = std::conditional_t<std::is_const_v<Self>, const Probing, Probing>;
  Entry* found = nullptr;
  if (const auto it = self.road_warriors_.find(address); it != self.road_warriors_.end())
    found = &it->second;
  if (found || self.with_subnets_ == 0) return found;
  for (auto& [inner, p] : self.road_warriors_)
    for (const IpPrefix& prefix : p.road_warrior.reach)
      if (prefix.contains(address)) return static_cast<Entry*>(&p);
  return found;
}

void RoadWarriorProbers::up(RoadWarrior road_warrior, TimePoint now) {
  const IpAddress inner = road_warrior.inner;
  auto [it, added] = road_warriors_.try_emplace(inner);
  Probing& p = it->second;
  const bool same_target = !added && p.road_warrior.probe.target == road_warrior.probe.target &&
                           p.road_warrior.probe.source == road_warrior.probe.source;
  if (!added && p.road_warrior.reach.size() > 1) --with_subnets_;
  if (road_warrior.reach.size() > 1) ++with_subnets_;
  p.road_warrior = std::move(road_warrior);
  if (added || !same_target) start(p, now);
  schedule(inner, p);
}

void RoadWarriorProbers::start(Probing& p, TimePoint now) {
  const RoadWarrior& rw = p.road_warrior;
  if (p.echo)
    spdlog::info("{}: road warrior {} ({}): path MTU probing stops", interface_name_, rw.account,
                 rw.inner.to_string());
  p.echo.reset();
  p.logged.reset();
  if (!rw.probe.target || !rw.probe.source) return;
  hybrid::MtuProberSettings settings;
  settings.search.max_mtu = rw.max_mtu;
  settings.search.base_mtu = std::min(kBaseMtu, rw.max_mtu);
  settings.search.raise_interval = raise_interval_;
  p.echo.emplace(settings, *rw.probe.source, *rw.probe.target, rng_);
  p.echo->prober().set_live(true, now);
  spdlog::info("{}: road warrior {} ({}): path MTU probing with ICMP echoes to {}, at most {}",
               interface_name_, rw.account, rw.inner.to_string(), rw.probe.target->to_string(),
               rw.max_mtu);
}

void RoadWarriorProbers::down(const IpAddress& inner) {
  const auto it = road_warriors_.find(inner);
  if (it == road_warriors_.end()) return;
  if (it->second.road_warrior.reach.size() > 1) --with_subnets_;
  road_warriors_.erase(it);
  due_.erase(inner);
}

std::vector<RoadWarrior> RoadWarriorProbers::road_warriors() const {
  std::vector<RoadWarrior> all;
  for (const auto& [inner, p] : road_warriors_) all.push_back(p.road_warrior);
  return all;
}

std::optional<std::size_t> RoadWarriorProbers::held_mtu(const IpAddress& address) const {
  const Probing* p = owner(*this, address);
  return p && p->echo ? p->echo->prober().held_mtu() : std::nullopt;
}

void RoadWarriorProbers::note_traffic(const IpAddress& address) {
  Probing* p = owner(*this, address);
  if (!p || !p->echo || p->traffic_noted) return;
  p->traffic_noted = true;
  p->echo->prober().note_traffic();
  schedule(p->road_warrior.inner, *p);
}

void RoadWarriorProbers::restart_moved(
    const std::function<std::optional<std::string>(const IpAddress&)>& moved, TimePoint now) {
  for (auto& [inner, p] : road_warriors_) {
    const auto route = moved(p.road_warrior.underlay);
    if (!route || !p.echo) continue;
    spdlog::info(
        "{}: road warrior {} ({}): the underlay route to {} is now {}: path MTU probing searches "
        "again",
        interface_name_, p.road_warrior.account, inner.to_string(),
        p.road_warrior.underlay.to_string(), *route);
    p.echo->prober().restart(now);
    schedule(inner, p);
  }
}

void RoadWarriorProbers::poll(TimePoint now, io::PacketBatch& probes) {
  due_now_.clear();
  due_.take_due(now, due_now_);
  for (const IpAddress& inner : due_now_) {
    const auto it = road_warriors_.find(inner);
    if (it == road_warriors_.end()) continue;
    Probing& p = it->second;
    p.traffic_noted = false;
    if (!p.echo) continue;
    if (max_mtu_)
      p.echo->prober().set_max_mtu(
          std::min(p.road_warrior.max_mtu, max_mtu_(p.road_warrior.underlay)), now);
    append_echo_probes(*p.echo, now, kSealTailroom, probes, sizes_);
    report(p);
    schedule(inner, p);
  }
}

bool RoadWarriorProbers::take_reply(ByteView packet, TimePoint now) {
  const auto header = packet::parse_ip_header(packet);
  if (!header) return false;
  Probing* p = owner(*this, IpAddress::from_bytes(header->source, header->family));
  if (!p || !p->echo || !p->echo->take_reply(packet, now)) return false;
  report(*p);
  schedule(p->road_warrior.inner, *p);
  return true;
}

void RoadWarriorProbers::report(Probing& p) {
  const hybrid::MtuProber& prober = p.echo->prober();
  // Packets follow each size a search confirms at once (held_mtu() is read per packet); the
  // log and the event tell where a search settled, and every fall.
  const auto change = p.echo->prober().take_change();
  if (!change) return;
  const auto state = prober.search().state();
  const bool settled = state == hybrid::PmtuSearch::State::kComplete ||
                       state == hybrid::PmtuSearch::State::kConfirming;
  const bool fell = change->after && p.logged && *change->after < *p.logged;
  if ((!settled && !fell) || change->after == p.logged) return;
  const RoadWarrior& rw = p.road_warrior;
  report_mtu_change({interface_name_ + ": road warrior " + rw.account,
                     {{"path", "ipsec"}, {"account", rw.account}},
                     p.logged,
                     change->after,
                     rw.max_mtu,
                     fell && change->black_hole});
  p.logged = change->after;
}

void RoadWarriorProbers::schedule(const IpAddress& inner, const Probing& p) {
  due_.set(inner, p.echo ? p.echo->prober().next_deadline() : std::nullopt);
}

nlohmann::json RoadWarriorProbers::status_json(const IpAddress& address) const {
  const Probing* p = owner(*this, address);
  if (!p) return nullptr;
  const RoadWarrior& rw = p->road_warrior;
  const auto held = p->echo ? p->echo->prober().held_mtu() : std::nullopt;
  nlohmann::json j{{"mtu_probe", p->echo ? mtu_probe_json(p->echo->prober())
                                         : mtu_probe_off_json(rw.probe.off_reason)},
                   {"mtu", std::min(rw.max_mtu, held.value_or(rw.max_mtu))},
                   {"configured_mtu", rw.max_mtu}};
  if (rw.probe.target) j["mtu_probe_target"] = rw.probe.target->to_string();
  return j;
}

}  // namespace tandem::daemon
