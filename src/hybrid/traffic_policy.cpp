#include "hybrid/traffic_policy.hpp"

#include "packet/ip_packet.hpp"
#include "packet/transport_facts.hpp"

namespace tandem::hybrid {
namespace {

// What the rules look at, read straight from the packet.
struct PacketFacts {
  IpAddress::Family family = IpAddress::Family::kV4;
  const std::byte* source = nullptr;
  const std::byte* destination = nullptr;
  packet::TransportFacts transport;
};

std::optional<PacketFacts> facts_of(ByteView packet) {
  const auto header = packet::parse_ip_header(packet);
  if (!header) return std::nullopt;
  return PacketFacts{header->family, header->source, header->destination,
                     packet::transport_facts(packet, *header)};
}

bool any_contains(const std::vector<IpPrefix>& prefixes, IpAddress::Family family,
                  const std::byte* address) {
  if (prefixes.empty()) return true;
  for (const IpPrefix& p : prefixes)
    if (p.contains(family, address)) return true;
  return false;
}

bool matches(const TrafficRule& r, const PacketFacts& f) {
  const packet::TransportFacts& t = f.transport;
  if (r.protocol && *r.protocol != t.protocol) return false;
  if (r.dscp && *r.dscp != t.dscp) return false;
  if ((r.source_ports || r.destination_ports) && !t.has_ports) return false;
  if (r.source_ports && !r.source_ports->contains(t.source_port)) return false;
  if (r.destination_ports && !r.destination_ports->contains(t.destination_port)) return false;
  return any_contains(r.sources, f.family, f.source) &&
         any_contains(r.destinations, f.family, f.destination);
}

PathRole other(PathRole role) {
  return role == PathRole::kPrimary ? PathRole::kSecondary : PathRole::kPrimary;
}

}  // namespace

TrafficPolicy::TrafficPolicy(std::vector<TrafficRule> rules)
    : rules_(std::move(rules)), counters_(rules_.size()) {}

std::optional<std::size_t> TrafficPolicy::match(ByteView packet) const {
  if (rules_.empty()) return std::nullopt;
  const auto facts = facts_of(packet);
  if (!facts) return std::nullopt;
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (matches(rules_[i], *facts)) return i;
  return std::nullopt;
}

TrafficDecision TrafficPolicy::decide(ByteView packet, PathRole active, bool primary_usable,
                                      bool secondary_usable) {
  const auto rule = match(packet);
  if (!rule) return {active, std::nullopt};
  TrafficRuleCounters& c = counters_[*rule];
  ++c.packets;
  const TrafficRule& r = rules_[*rule];
  const bool usable = r.path == PathRole::kPrimary ? primary_usable : secondary_usable;
  if (usable) return {r.path, rule};
  if (r.fail_closed) {
    ++c.dropped;
    return {std::nullopt, rule};
  }
  ++c.rerouted;
  return {other(r.path), rule};
}

}  // namespace tandem::hybrid
