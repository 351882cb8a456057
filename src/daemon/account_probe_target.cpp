// account_probe_target (account_probe_target.hpp).
#include "daemon/account_probe_target.hpp"

#include <algorithm>

namespace tandem::daemon {
namespace {

std::optional<IpAddress> source_for(const std::vector<IpAddress>& own, const IpAddress& target) {
  const auto it = std::find_if(own.begin(), own.end(),
                               [&](const IpAddress& a) { return a.family() == target.family(); });
  return it == own.end() ? std::nullopt : std::optional<IpAddress>(*it);
}

bool have_family(const std::vector<IpAddress>& own, const IpAddress& target) {
  return source_for(own, target).has_value();
}

AccountProbeTarget off(std::string reason) {
  return {std::nullopt, std::nullopt, std::move(reason)};
}

AccountProbeTarget to(const IpAddress& target, const std::vector<IpAddress>& own) {
  return {target, source_for(own, target), {}};
}

}  // namespace

AccountProbeTarget account_probe_target(const hybrid::Account& account,
                                        const std::optional<IpAddress>& configured, bool probe_all,
                                        const std::vector<IpAddress>& own, ProbedPath path) {
  if (account.disabled) return off("the account is disabled");
  if (path == ProbedPath::kWireguard && account.wireguard_keys.empty())
    return off("the account has no WireGuard key");
  if (configured) {
    // Probes go where WireGuard routes them (or the road warrior's SA carries them): to the
    // account only inside its allowed IPs.
    const auto prefixes = account.prefixes();
    if (std::none_of(prefixes.begin(), prefixes.end(),
                     [&](const IpPrefix& p) { return p.contains(*configured); }))
      return off("mtu_probe_target " + configured->to_string() +
                 " is not among the account's addresses and subnets, so the probes would not "
                 "go to it");
    if (!have_family(own, *configured))
      return off("no " + std::string(configured->is_v4() ? "IPv4" : "IPv6") +
                 " address on the interface to send probes to " + configured->to_string() +
                 " from");
    return to(*configured, own);
  }
  if (!probe_all)
    return off("no mtu_probe_target for this account, and [accounts] mtu_probing is off");
  for (const auto& address : {account.ipv4, account.ipv6})
    if (address && have_family(own, *address)) return to(*address, own);
  return off("the account has no inner address of a family the interface has an address in");
}

}  // namespace tandem::daemon
