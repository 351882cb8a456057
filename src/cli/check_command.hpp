// `tandem check FILE|NAME`: the config read exactly as `tandem up` reads it (the same argument
// resolution, control::load_node_config), its warnings, and a summary of what `up` would create:
// interfaces, peers, routes, the L2TP role, IPsec connections and the pidfile. It needs no root
// and touches nothing, so an operator can run it before a restart and CI can run it on every
// change to a config. Secrets (keys, pre-shared keys, passwords) are never printed.
#pragma once

#include <iosfwd>
#include <string>

#include "control/config.hpp"

namespace tandem::cli {

// 0 with the summary on `out` (warnings on `err`); 1 with "file:line:column: why" on `err`.
int run_check(const std::string& target, std::ostream& out, std::ostream& err);

// The summary alone: one line per interface, L2TP role or IPsec section, indented lines for its
// peers, routes and connections.
std::string describe_node(const control::NodeConfig& config);

}  // namespace tandem::cli
