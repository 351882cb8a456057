// Fuzz target for fragment_ipv4: two bytes of MTU, one byte of slot count, then any bytes as the
// packet. Slots are exact-size heap blocks, so ASan sees any write past one. Whatever it returns
// must be a right fragmentation (fragmentation_problem: each fragment a whole IPv4 packet of at
// most `mtu` bytes with a right checksum, offsets and MF in order, options by the copied flag,
// the data reassembling to the original's), and fragmenting in place into the packet's own
// buffer must give the same bytes.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "packet/ipv4_fragment.hpp"
#include "packet/mtu_test_packets.hpp"

using namespace tandem;

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

// `count` separately allocated slots of `size` bytes.
struct Slots {
  Slots(std::size_t count, std::size_t size) : lengths(count) {
    for (std::size_t i = 0; i < count; ++i) {
      storage.emplace_back(std::make_unique<std::byte[]>(size));
      views.emplace_back(storage.back().get(), size);
    }
  }
  std::vector<std::unique_ptr<std::byte[]>> storage;
  std::vector<MutableByteView> views;
  std::vector<std::size_t> lengths;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  const std::size_t mtu = load_be16(bytes) & 0x0fff;
  const std::size_t slot_count = data[2] + std::size_t{1};
  const ByteView packet(bytes + 3, size - 3);

  Slots slots(slot_count, mtu);
  const std::size_t count = packet::fragment_ipv4(packet, mtu, slots.views, slots.lengths);
  if (count == 0) return 0;
  if (count > slot_count) fail("more fragments than slots");
  std::vector<ByteView> fragments;
  for (std::size_t i = 0; i < count; ++i) {
    if (slots.lengths[i] > mtu) fail("a fragment longer than its slot");
    fragments.emplace_back(slots.views[i].first(slots.lengths[i]));
  }
  const std::string problem = packet::testing::fragmentation_problem(packet, mtu, fragments);
  if (!problem.empty()) fail(problem.c_str());

  // In place: the first slot is the packet's own buffer (big enough for a first fragment).
  std::vector<std::byte> buffer(packet.begin(), packet.end());
  buffer.resize(std::max(buffer.size(), mtu));
  Slots rest(slot_count, mtu);
  rest.views[0] = MutableByteView(buffer);
  const ByteView own(buffer.data(), packet.size());
  if (packet::fragment_ipv4(own, mtu, rest.views, rest.lengths) != count) fail("in place count");
  for (std::size_t i = 0; i < count; ++i) {
    if (rest.lengths[i] != slots.lengths[i] ||
        !packet::testing::same_bytes(rest.views[i].first(rest.lengths[i]), fragments[i]))
      fail("in place gave other fragments");
  }
  return 0;
}
