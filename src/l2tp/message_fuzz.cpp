// Feeds arbitrary datagrams to an LNS and a LAC that share an established tunnel and session:
// the header, AVP (including hidden AVPs) and control-message decoders and both tunnel state
// machines must reject garbage without crashing. The input's first byte picks the receiver and
// whether the datagram is rewritten to carry the live tunnel id, so the fuzzer reaches the
// channel and the state machines rather than stopping at "unknown tunnel".
#include <cstddef>
#include <cstdint>
#include <vector>

#include "l2tp/header.hpp"
#include "l2tp/test_link.hpp"

using namespace tandem;
using namespace tandem::l2tp;

namespace {

struct World {
  testing::Link link{testing::lac_config("fuzz"), testing::lns_config("fuzz")};
  std::uint16_t lac_tunnel = 0;
  std::uint16_t lns_tunnel = 0;
  World() {
    lac_tunnel = link.dial();
    link.call(lac_tunnel);
    lns_tunnel = link.lns.last(EventType::kTunnelUp)->ref.tunnel_id;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 2048) return 0;
  // A fresh pair per input keeps runs independent of each other (a fuzzed StopCCN would
  // otherwise end the tunnel for every later input).
  World world;
  const std::uint8_t mode = data[0];
  std::vector<std::byte> d(reinterpret_cast<const std::byte*>(data + 1),
                           reinterpret_cast<const std::byte*>(data + size));
  const bool to_lns = (mode & 1) != 0;
  testing::Side& to = to_lns ? world.link.lns : world.link.lac;
  const testing::Side& from = to_lns ? world.link.lac : world.link.lns;
  if ((mode & 2) != 0 && d.size() >= 6) {
    // Point the datagram at the live tunnel, wherever its header puts the tunnel id.
    const bool has_length = (std::to_integer<unsigned>(d[0]) & 0x40) != 0;
    const std::size_t at = has_length ? 4 : 2;
    if (d.size() >= at + 2) store_be16(d.data() + at, to_lns ? world.lns_tunnel : world.lac_tunnel);
  }
  Actions actions;
  to.node->on_datagram(d, from.address, world.link.now, actions);
  world.link.absorb(to, actions);
  world.link.pump();
  world.link.advance(std::chrono::seconds(40), std::chrono::seconds(5));
  return 0;
}
