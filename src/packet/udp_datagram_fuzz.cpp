// Fuzz target for parse_udp_datagram: any bytes as an IP packet. It never reads past the packet;
// what it finds lies inside the packet and agrees with itself; and a datagram rebuilt from the
// parts it found parses back to the same parts, with a checksum that holds.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "packet/udp_datagram.hpp"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::byte> packet(reinterpret_cast<const std::byte*>(data),
                                      reinterpret_cast<const std::byte*>(data) + size);
  const auto d = packet::parse_udp_datagram(packet);
  if (!d) return 0;
  const std::byte* const begin = packet.data();
  const std::byte* const end = packet.data() + packet.size();
  if (d->udp.data() < begin || d->udp.data() + d->udp.size() > end) std::abort();
  if (d->payload.data() != d->udp.data() + packet::kUdpHeaderSize) std::abort();
  if (d->payload.size() + packet::kUdpHeaderSize != d->udp.size()) std::abort();
  if (d->source.address.family() != d->destination.address.family()) std::abort();
  (void)packet::udp_checksum_holds(*d);

  std::vector<std::byte> rebuilt(packet::udp_headers_size(d->source.address.family()) +
                                 d->payload.size());
  std::memcpy(rebuilt.data() + packet::udp_headers_size(d->source.address.family()),
              d->payload.data(), d->payload.size());
  if (packet::write_udp_headers(rebuilt, d->source, d->destination, d->payload.size()) !=
      rebuilt.size())
    std::abort();
  const auto again = packet::parse_udp_datagram(rebuilt);
  if (!again || again->source != d->source || again->destination != d->destination ||
      again->payload.size() != d->payload.size() ||
      std::memcmp(again->payload.data(), d->payload.data(), d->payload.size()) != 0 ||
      !packet::udp_checksum_holds(*again))
    std::abort();
  return 0;
}
