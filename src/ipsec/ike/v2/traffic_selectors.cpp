#include "ipsec/ike/v2/traffic_selectors.hpp"

#include <algorithm>

namespace tandem::ipsec::ike::v2 {
namespace {

std::optional<Selector> intersect(const Selector& a, const Selector& b) {
  if (a.start.family() != b.start.family()) return std::nullopt;
  Selector s;
  s.start = std::max(a.start, b.start);
  s.end = std::min(a.end, b.end);
  if (s.end < s.start) return std::nullopt;
  // IP protocol 0 matches any protocol.
  if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol)
    return std::nullopt;
  s.ip_protocol = a.ip_protocol != 0 ? a.ip_protocol : b.ip_protocol;
  s.start_port = std::max(a.start_port, b.start_port);
  s.end_port = std::min(a.end_port, b.end_port);
  if (s.end_port < s.start_port) return std::nullopt;
  return s;
}

bool within(const Selector& in, const Selector& out) {
  const auto i = intersect(in, out);
  return i && *i == in;
}

}  // namespace

std::vector<TrafficSelector> to_wire(const std::vector<Selector>& selectors) {
  std::vector<TrafficSelector> out;
  for (const Selector& s : selectors)
    out.push_back({s.ip_protocol, s.start_port, s.end_port, s.start, s.end});
  return out;
}

std::vector<Selector> from_wire(const std::vector<TrafficSelector>& selectors) {
  std::vector<Selector> out;
  for (const TrafficSelector& t : selectors)
    out.push_back({t.start, t.end, t.ip_protocol, t.start_port, t.end_port});
  return out;
}

std::vector<Selector> narrow(const std::vector<Selector>& proposed,
                             const std::vector<Selector>& allowed) {
  std::vector<Selector> out;
  for (const Selector& p : proposed)
    for (const Selector& a : allowed)
      if (auto s = intersect(p, a); s && std::find(out.begin(), out.end(), *s) == out.end())
        out.push_back(*s);
  return out;
}

bool covered_by(const std::vector<Selector>& inner, const std::vector<Selector>& outer) {
  return std::all_of(inner.begin(), inner.end(), [&](const Selector& i) {
    return std::any_of(outer.begin(), outer.end(), [&](const Selector& o) { return within(i, o); });
  });
}

Selector host_selector(const IpAddress& address) {
  return {address, address, 0, 0, 65535};
}

Selector any_ipv4_selector() {
  return {IpAddress::v4({0, 0, 0, 0}), IpAddress::v4({255, 255, 255, 255}), 0, 0, 65535};
}

Selector any_ipv6_selector() {
  std::array<std::uint8_t, 16> all{};
  all.fill(0xff);
  return {IpAddress::v6({}), IpAddress::v6(all), 0, 0, 65535};
}

}  // namespace tandem::ipsec::ike::v2
