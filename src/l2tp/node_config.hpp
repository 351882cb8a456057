// Settings shared by every tunnel of an L2TP node.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "l2tp/control_channel.hpp"
#include "l2tp/protocol.hpp"

namespace tandem::l2tp {

struct NodeConfig {
  std::string host_name = "tandem";
  // Tunnel authentication (5.1.1) and hidden AVPs (4.3); empty means neither.
  std::string secret;
  std::vector<AvpType> hidden_avps;
  // LNS role: answer SCCRQ and ICRQ. A LAC-only node ignores incoming SCCRQs.
  bool accept_tunnels = false;
  ControlChannelConfig channel;
  Duration hello_interval = kHelloInterval;
  Duration stop_linger = kStopCcnLinger;
  std::size_t max_tunnels = 1024;
  std::size_t max_sessions_per_tunnel = 4096;
};

}  // namespace tandem::l2tp
