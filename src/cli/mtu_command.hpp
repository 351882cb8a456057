// `tandem mtu STACK [--underlay N] [--ipv6] [--esp SUITE] [--no-nat-t] [--interface NAME]`: the
// MTU budget of a stack (hybrid/mtu_budget.hpp), layer by layer, for an underlay MTU: what each
// layer adds to a packet of the largest inner size, and that size. With --interface (STACK then
// optional), what path MTU probing found on each path of that running interface, beside the MTU
// the budget gave it.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

namespace tandem::cli {

struct MtuOptions {
  std::string stack;
  unsigned underlay = 1500;
  bool ipv6 = false;
  std::string esp = "aes-gcm";
  bool no_nat_t = false;
  std::string interface_name;
  std::string socket_dir = "/var/run/wireguard";  // daemon::kUapiSocketDir
  std::string admin_socket_dir;                   // empty: daemon::run_directory()
};

int run_mtu(const MtuOptions& options, std::ostream& out, std::ostream& err);

// Each probed path in `documents` (`tandem status --json`'s array): every object with an
// "mtu_probe", named by its "path", "name", "session" or "public_key", with the MTU the budget
// gave it ("max", what the search goes up to) and what probing found.
std::string render_probed_mtus(const nlohmann::json& documents);

}  // namespace tandem::cli
