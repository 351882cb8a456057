#include "daemon/kernel_policy.hpp"

namespace tandem::daemon {
namespace {

using Family = IpAddress::Family;

// Below the main table's rule (32766), which would otherwise be looked up first.
constexpr std::uint32_t kLastPriority = 32765;
// Device routes above the blackholes in a fail-closed table (a lower metric wins).
constexpr std::uint32_t kDeviceMetric = 100;
constexpr std::uint32_t kBlackholeMetric = 200;

std::uint32_t table_of(std::uint32_t first, hybrid::PathRole role, bool fail_closed) {
  return first + (role == hybrid::PathRole::kPrimary ? 0 : 2) + (fail_closed ? 1 : 0);
}

// The prefixes of `family` among `prefixes`; a list with none of the family matches nothing of
// it, an empty list everything (one unset selector).
std::vector<std::optional<IpPrefix>> selectors(const std::vector<IpPrefix>& prefixes,
                                               Family family) {
  if (prefixes.empty()) return {std::nullopt};
  std::vector<std::optional<IpPrefix>> out;
  for (const auto& p : prefixes)
    if (p.address().family() == family) out.emplace_back(p);
  return out;
}

std::optional<io::PortRange> ports(const std::optional<hybrid::PortRange>& range) {
  if (!range || (range->first == 0 && range->last == 65535)) return std::nullopt;
  // The kernel takes 1-65534: 0 and 65535 are never real ports of a connection.
  return io::PortRange{std::max<std::uint16_t>(range->first, 1),
                       std::min<std::uint16_t>(range->last, 65534)};
}

}  // namespace

Result<KernelPolicy, std::string> plan_kernel_policy(const std::vector<hybrid::TrafficRule>& rules,
                                                     std::uint32_t table, std::uint32_t priority,
                                                     const std::vector<IpPrefix>& routed,
                                                     std::array<int, 2> ifindex) {
  KernelPolicy plan;
  plan.tables = {table, table + 3};
  std::uint32_t next = priority;
  for (const auto& rule : rules) {
    for (Family family : {Family::kV4, Family::kV6}) {
      // ICMP belongs to IPv4 and ICMPv6 to IPv6; a rule naming one has no rules of the other.
      if (rule.protocol == 1 && family == Family::kV6) continue;
      if (rule.protocol == 58 && family == Family::kV4) continue;
      for (const auto& source : selectors(rule.sources, family))
        for (const auto& destination : selectors(rule.destinations, family)) {
          io::PolicyRule r;
          r.family = family;
          r.source = source;
          r.destination = destination;
          r.ip_protocol = rule.protocol;
          r.source_ports = ports(rule.source_ports);
          r.destination_ports = ports(rule.destination_ports);
          r.dscp = rule.dscp;
          if (rule.fwmark) r.fwmark = io::FirewallMark{*rule.fwmark, rule.fwmark_mask};
          if (next + 1 > kLastPriority)
            return Err("[[policy]] rules need preferences " + std::to_string(priority) + " to " +
                       std::to_string(next + 1) +
                       ", past the main table's rule (32766); lower "
                       "[policy_routing] priority or use fewer prefixes per rule");
          r.priority = next;
          r.table = table_of(table, rule.path, rule.fail_closed);
          plan.fixed.rules.push_back(r);
          if (!rule.fail_closed) {
            // While the class's path is down its table is empty: the other path's.
            r.priority = next + 1;
            r.table =
                table_of(table,
                         rule.path == hybrid::PathRole::kPrimary ? hybrid::PathRole::kSecondary
                                                                 : hybrid::PathRole::kPrimary,
                         false);
            plan.fixed.rules.push_back(r);
          }
          next += 2;
        }
    }
  }
  for (const auto role : {hybrid::PathRole::kPrimary, hybrid::PathRole::kSecondary}) {
    auto& device = plan.device_routes[static_cast<std::size_t>(role)];
    for (const bool closed : {false, true})
      for (const auto& prefix : routed) {
        const std::uint32_t t = table_of(table, role, closed);
        device.routes.push_back({prefix, t, io::TableRoute::Kind::kDevice,
                                 ifindex[static_cast<std::size_t>(role)], kDeviceMetric});
        if (closed)
          plan.fixed.routes.push_back(
              {prefix, t, io::TableRoute::Kind::kBlackhole, 0, kBlackholeMetric});
      }
  }
  return plan;
}

}  // namespace tandem::daemon
