// [dns] host_resolver: this host's own resolver pointed at the node's split-DNS forwarder while
// the node runs, and put back when it stops, even after a crash.
//
// Where systemd-resolved runs (io::resolved_running), its per-link settings on the tunnel device
// (io/resolved_link.hpp, over D-Bus): the forwarder as the link's DNS server, the routed domains
// as routing-only "~" domains and, when [dns] has a default, "~." with the link as default route
// (resolved_link_settings). RevertLink at a clean stop; after a crash the kernel removes the TUN
// device and resolved forgets the link with it. Nothing is written to resolv.conf then.
//
// Otherwise /etc/resolv.conf itself: its text is kept in a state file beside the pidfile
// (RUN_DIR/NAME.resolv.conf.saved, written whole through a rename) before the file is rewritten
// with "nameserver" lines for the forwarder (its search and options lines kept), and written back
// at a clean stop. The file is rewritten in place (truncated and written, never renamed over):
// /etc/resolv.conf may be a bind mount (`ip netns exec` mounts /etc/netns/NS/resolv.conf there),
// which a rename fails on with EBUSY. A state file found at start means a run was killed before
// it could put the file back: it is restored first, whatever the new config says.
//
// This is apart from [interface] dns (interface_hooks.hpp), which hands a list of servers to
// resolvconf(8) as wg-quick does and never writes resolv.conf: the config refuses both at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/dns_config.hpp"

namespace tandem::daemon {

inline constexpr const char* kResolvConf = "/etc/resolv.conf";
// The resolver reads at most three nameserver lines (resolv.conf(5), MAXNS).
inline constexpr std::size_t kMaxNameservers = 3;

// The forwarder's addresses as nameservers: IPv4 first, at most three.
std::vector<IpAddress> forwarder_nameservers(const control::DnsSettings& settings);

// resolv.conf pointing at `servers`, with the search, domain and options lines of `original`.
std::string forwarder_resolv_conf(std::string_view original, const std::vector<IpAddress>& servers,
                                  std::string_view node);

// What systemd-resolved would be told for the tunnel link.
struct ResolvedLinkSettings {
  std::vector<IpAddress> servers;                     // SetLinkDNS
  std::vector<std::pair<std::string, bool>> domains;  // SetLinkDomains: (name, routing only)
  bool default_route = false;                         // "~." given: every name goes here
};
ResolvedLinkSettings resolved_link_settings(const control::DnsSettings& settings);

// Where the killed run's original is kept: RUN_DIR/NAME.resolv.conf.saved.
std::string resolv_conf_state_path(const std::string& instance);

class HostResolver {
 public:
  // Puts back what a killed run of `instance` left (its state file), if anything. Logs it.
  static Result<Ok, std::string> restore_leftover(const std::string& instance,
                                                  const std::string& resolv_conf = kResolvConf);
  // Keeps the original and points `resolv_conf` at the forwarder.
  static Result<std::unique_ptr<HostResolver>, std::string> apply(
      const control::DnsSettings& settings, const std::string& instance, std::string_view node,
      const std::string& resolv_conf = kResolvConf);
  // Writes the original back and removes the state file, or reverts resolved's link.
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

 private:
  HostResolver(std::string resolv_conf, std::string state, std::string original)
      : resolv_conf_(std::move(resolv_conf)),
        state_(std::move(state)),
        original_(std::move(original)) {}
  explicit HostResolver(std::string resolved_device)
      : resolved_device_(std::move(resolved_device)) {}

  std::string resolved_device_;  // set: resolved's link settings, not resolv.conf
  std::string resolv_conf_;
  std::string state_;
  std::string original_;
};

}  // namespace tandem::daemon
