// Fuzz target for clamp_tcp_mss: any bytes as an IP packet. It never reads or writes past the
// packet, never changes its size, changes only the MSS value and the checksum, clamps at most
// once, and a segment whose checksum was right still has a right one.
#include <cstdlib>
#include <vector>

#include "packet/tcp_mss.hpp"
#include "packet/tcp_test_packets.hpp"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> packet(reinterpret_cast<const std::byte*>(data),
                                reinterpret_cast<const std::byte*>(data) + size);
  const auto before = packet;
  if (!packet::clamp_tcp_mss(packet, 1200)) {
    if (packet != before) std::abort();
    return 0;
  }
  if (packet.size() != before.size()) std::abort();
  std::size_t changed = 0;
  for (std::size_t i = 0; i < packet.size(); ++i) changed += packet[i] != before[i] ? 1 : 0;
  if (changed > 4) std::abort();  // two bytes of MSS, two of checksum
  auto again = packet;
  if (packet::clamp_tcp_mss(again, 1200)) std::abort();
  // A whole, unfragmented IPv4 segment whose checksum was right keeps it right.
  const bool v4 = (std::to_integer<unsigned>(before[0]) >> 4) == 4;
  if (!v4) return 0;
  const std::size_t ihl = (std::to_integer<std::size_t>(before[0]) & 0x0f) * 4;
  const std::size_t total = load_be16(before.data() + 2);
  if ((load_be16(before.data() + 6) & 0x3fff) != 0 || total != before.size()) return 0;
  std::array<std::uint8_t, 4> s{}, d{};
  for (std::size_t i = 0; i < 4; ++i) {
    s[i] = std::to_integer<std::uint8_t>(before[12 + i]);
    d[i] = std::to_integer<std::uint8_t>(before[16 + i]);
  }
  const auto src = IpAddress::v4(s), dst = IpAddress::v4(d);
  const auto ok = [&](const std::vector<std::byte>& p) {
    return packet::testing::tcp_checksum(src, dst, ByteView(p.data() + ihl, total - ihl)) == 0;
  };
  if (ok(before) && !ok(packet)) std::abort();
  return 0;
}
