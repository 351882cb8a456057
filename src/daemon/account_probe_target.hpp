// Where a hybrid gateway probes an account's WireGuard path with ICMP echoes (path MTU probing of
// standard WireGuard clients: phones, wg-quick, wireguard-go speak none of Tandem's in-tunnel
// probes): the account's own mtu_probe_target, or, with [accounts] mtu_probing, the inner address
// the gateway gave it, which every client's OS answers pings at on its tunnel device. Where
// neither applies, the path keeps its configured MTU, and the reason is what status says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "hybrid/accounts.hpp"

namespace tandem::daemon {

struct AccountProbeTarget {
  std::optional<IpAddress> target;
  std::optional<IpAddress> source;  // with a target: the gateway's address the probes leave from
  std::string off_reason;           // why there is none
};

// The account's path that is probed: its WireGuard peer, or its IKEv2 road warrior's SA.
enum class ProbedPath : std::uint8_t { kWireguard, kIkev2 };

// `configured`: the account's mtu_probe_target; `probe_all`: [accounts] mtu_probing; `own`: the
// gateway's inner addresses, which the probes leave from (the first of the target's family).
AccountProbeTarget account_probe_target(const hybrid::Account& account,
                                        const std::optional<IpAddress>& configured, bool probe_all,
                                        const std::vector<IpAddress>& own,
                                        ProbedPath path = ProbedPath::kWireguard);

}  // namespace tandem::daemon
