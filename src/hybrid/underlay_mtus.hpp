// What too-big reports said about the underlay's path to each peer: RFC 1191 and RFC 8201
// applied to a tunnel's outer datagrams. A report (an ICMP fragmentation-needed or packet-too-big
// about one of our datagrams, or this host's own refusal) lowers what is known for the peer's
// address; a report never raises it; what is known lasts kUnderlayMtuLifetime (RFC 1191 section
// 6.3: ten minutes, the kernel's net.ipv4.route.mtu_expires), after which the full size is tried
// again. Reports below the family's floor count as the floor (552 for IPv4, the kernel's
// min_pmtu; 1280 for IPv6). WireGuard keeps the same per peer in wireguard::Device.
// Pure bookkeeping, no I/O.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"

namespace tandem::hybrid {

inline constexpr Duration kUnderlayMtuLifetime = std::chrono::minutes(10);

class UnderlayMtus {
 public:
  struct Known {
    IpAddress peer;
    std::size_t path_mtu = 0;
  };

  // A datagram of ours to `peer` was too big for a path of `path_mtu` bytes. True when that
  // lowered what is known for `peer` (the caller then logs it).
  bool report(const IpAddress& peer, std::size_t path_mtu, TimePoint now);
  // The path MTU towards `peer`, while a report holds; none when nothing is known.
  std::optional<std::size_t> lookup(const IpAddress& peer, TimePoint now) const;
  // Every path MTU that holds at `now`, by address.
  std::vector<Known> known(TimePoint now) const;
  // Nothing reported (cheap test for the send path).
  bool empty() const { return paths_.empty(); }

 private:
  struct Entry {
    std::size_t path_mtu = 0;
    TimePoint learned{};
  };
  std::map<IpAddress, Entry> paths_;
};

}  // namespace tandem::hybrid
