// One traffic rule of a client's or site's policy (traffic_policy.hpp): which class of inner
// packets it takes, the path it sends them on, and what happens while that path is down. Plain
// values, read by the config (control/) and run by the TrafficPolicy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "hybrid/path.hpp"

namespace tandem::hybrid {

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 65535;
  bool contains(std::uint16_t port) const { return port >= first && port <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct TrafficRule {
  std::string name;
  std::vector<IpPrefix> sources;       // empty: any
  std::vector<IpPrefix> destinations;  // empty: any
  std::optional<std::uint8_t> protocol;
  // Only packets with ports (TCP, UDP, SCTP; not a later fragment) match a rule with ports.
  std::optional<PortRange> source_ports;
  std::optional<PortRange> destination_ports;
  std::optional<std::uint8_t> dscp;  // 0-63: IPv4's TOS or IPv6's traffic class, top six bits
  // A socket's mark (SO_MARK) under a mask: only in kernel policy routing, since packets read
  // from a device do not carry it.
  std::optional<std::uint32_t> fwmark;
  std::uint32_t fwmark_mask = 0xffffffff;
  PathRole path = PathRole::kPrimary;
  bool fail_closed = false;  // path not usable: drop rather than take the other path
  friend bool operator==(const TrafficRule&, const TrafficRule&) = default;
};

}  // namespace tandem::hybrid
