// append_echo_probes (echo_probes.hpp).
#include "daemon/echo_probes.hpp"

#include <algorithm>

namespace tandem::daemon {

void append_echo_probes(hybrid::IcmpEchoProber& echo, TimePoint now, std::size_t tailroom,
                        io::PacketBatch& probes, std::vector<hybrid::PmtuSearch::Probe>& scratch) {
  scratch.clear();
  echo.prober().poll(now, scratch);
  for (const auto& probe : scratch) {
    if (probes.full()) break;
    Packet& packet = probes.push_back();
    const MutableByteView room = packet.room();
    const std::size_t built =
        echo.build(probe, room.first(room.size() - std::min(room.size(), tailroom)));
    if (built == 0) {
      probes.resize(probes.size() - 1);
      continue;
    }
    packet.length = built;
    packet.mtu_probe = true;
  }
}

}  // namespace tandem::daemon
