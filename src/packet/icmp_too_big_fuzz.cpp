// Fuzz target for build_packet_too_big and classify_for_mtu: two bytes of MTU, one byte of
// choices, then any bytes as the offending packet. The error is never written past `out` (an
// exact-size vector, so ASan sees any overrun), always parses as one whole IP packet within 576 /
// 1280 bytes with correct checksums, type, code, MTU and quote (packet_too_big_problem), is
// only built for a packet that does not fit, and needs exactly the room it reports.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "packet/icmp_too_big.hpp"
#include "packet/mtu_test_packets.hpp"

using namespace tandem;

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  const std::size_t mtu = load_be16(bytes) & 0x0fff;
  const unsigned choices = data[2];
  const ByteView offending(bytes + 3, size - 3);
  // `from` is of the packet's family unless bit 0 asks for the other one.
  const bool v6 = !offending.empty() && (std::to_integer<unsigned>(offending[0]) >> 4) == 6;
  const bool from_v6 = v6 != ((choices & 1) != 0);
  const IpAddress from = from_v6
                             ? IpAddress::v6({0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
                             : IpAddress::v4({10, 99, 0, 1});
  // Bit 1 asks for an output buffer that may be too small.
  std::vector<std::byte> out((choices & 2) != 0 ? (choices >> 2) * 24 : 1280);
  const std::size_t written = packet::build_packet_too_big(out, offending, mtu, from);
  if (written == 0) return 0;
  if (written > out.size()) fail("reported more than the buffer holds");
  const ByteView error = ByteView(out).first(written);
  const std::string problem = packet::testing::packet_too_big_problem(error, offending, mtu, from);
  if (!problem.empty()) fail(problem.c_str());
  if (packet::classify_for_mtu(offending, mtu) == packet::TooBig::kFits)
    fail("answered a packet that fits");
  std::vector<std::byte> exact(written);
  if (packet::build_packet_too_big(exact, offending, mtu, from) != written ||
      !packet::testing::same_bytes(exact, error))
    fail("an exact-size buffer gave another error");
  std::vector<std::byte> short_by_one(written - 1);
  if (packet::build_packet_too_big(short_by_one, offending, mtu, from) != 0)
    fail("wrote into a buffer too small");
  return 0;
}
