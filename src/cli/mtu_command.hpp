// `tandem mtu STACK [--underlay N] [--ipv6] [--esp SUITE] [--no-nat-t]`: the MTU budget of a
// stack (hybrid/mtu_budget.hpp), layer by layer, for an underlay MTU: what each layer adds to a
// packet of the largest inner size, and that size.
#pragma once

#include <iosfwd>
#include <string>

namespace tandem::cli {

struct MtuOptions {
  std::string stack;
  unsigned underlay = 1500;
  bool ipv6 = false;
  std::string esp = "aes-gcm";
  bool no_nat_t = false;
};

int run_mtu(const MtuOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
