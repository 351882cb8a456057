// What wg-quick does around a WireGuard interface besides configuring it, done by `tandem up`:
// the PreUp/PostUp/PreDown/PostDown commands (control::HookCommands) and the DNS settings, handed
// to resolvconf(8) exactly as wg-quick hands them:
//   resolvconf -a PREFIXname -m 0 -x   with "nameserver ADDRESS" lines and a "search" line
//   resolvconf -d PREFIXname -f        at stop
// PREFIX is what /etc/resolvconf/interface-order says tunnels are called ("tun." on Debian's
// resolvconf), nothing otherwise. Without a resolvconf program the DNS settings are not applied,
// and the start-up log says so: /etc/resolv.conf is never written for them. Only [dns]
// host_resolver, an explicit opt-in that the config refuses beside [interface] dns, writes the
// file itself (host_resolver.hpp).
//
// The order over a node's life, as wg-quick's: pre_up; device created, configured, up; DNS;
// post_up; ... pre_down; device removed; DNS removed; post_down.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/config.hpp"

namespace tandem::daemon {

// The command as the shell gets it: every %i replaced by the interface name, as wg-quick does.
std::string hook_command(std::string_view command, std::string_view interface_name);

// The text resolvconf reads on stdin.
std::string resolvconf_input(const std::vector<IpAddress>& servers,
                             const std::vector<std::string>& search);

// The record-name prefix from /etc/resolvconf/interface-order's text: the first line that is a
// name followed by '*' ("tun*" gives "tun."); empty when none is.
std::string resolvconf_prefix(std::string_view interface_order);

class InterfaceHooks {
 public:
  explicit InterfaceHooks(const control::InterfaceConfig& config);
  ~InterfaceHooks();  // removes the DNS settings if start-up failed after adding them
  InterfaceHooks(const InterfaceHooks&) = delete;
  InterfaceHooks& operator=(const InterfaceHooks&) = delete;

  // Each command in turn; the first that fails ends start-up, naming it and its exit status.
  Result<Ok, std::string> pre_up();
  // The DNS settings, then post_up.
  Result<Ok, std::string> post_up();
  // At stop: failures are logged, and the rest still run.
  void pre_down();
  void post_down();  // removes the DNS settings first

 private:
  Result<Ok, std::string> run(const char* stage, const std::vector<std::string>& commands,
                              bool stop_at_failure);
  Result<Ok, std::string> add_dns();
  void remove_dns();

  std::string interface_;
  control::HookCommands hooks_;
  std::vector<IpAddress> dns_;
  std::vector<std::string> dns_search_;
  std::string dns_record_;  // set while resolvconf holds our record
};

}  // namespace tandem::daemon
