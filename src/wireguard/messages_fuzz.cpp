// Feeds arbitrary datagrams to a device that has a peer and a live session: every decoder on the
// receive path (classification, handshake, cookie reply, transport) must reject garbage without
// crashing or growing.
#include <cstddef>
#include <cstdint>

#include "wireguard/test_network.hpp"

using namespace tandem;
using namespace tandem::wireguard;

namespace {

struct World {
  testing::TestNetwork net;
  testing::Node& a = net.add_node("a", "127.0.1.1:51820");
  testing::Node& b = net.add_node("b", "127.0.1.2:51821");
  World() {
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32");
    a.send_inner(testing::ipv4_packet("10.0.0.1", "10.0.0.2", 20));
    net.pump();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  if (size > 4096) return 0;
  testing::Datagram d{
      world.a.address,
      world.b.address,
      {reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size}};
  // Half the inputs claim a plausible type so deeper decoders get exercised.
  if (size >= 4 && (data[0] & 0x80)) {
    d.bytes[0] = std::byte{static_cast<std::uint8_t>(1 + (data[0] & 0x03))};
    d.bytes[1] = d.bytes[2] = d.bytes[3] = std::byte{0};
  }
  world.b.receive(d);
  world.net.in_flight.clear();
  world.net.all_sent.clear();
  world.b.delivered.clear();
  world.b.events.clear();
  return 0;
}
