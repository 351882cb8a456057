// One packet in a caller-owned slot with headroom and tailroom: the unit engines work on in
// place. io/ batches are arrays of these; an engine prepends outer headers into the headroom and
// appends tags into the tailroom without copying or allocating.
#pragma once

#include <cstddef>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem {

// The largest MTU a Tandem device may have (and so the largest inner packet). The data paths
// move packets in slots of 2048 bytes (io::PacketBatch) with up to 128 bytes of headroom for the
// headers that go in front and a trailer behind (WireGuard's padding and tag, ESP's padding, ICV
// and trailer); the deepest stack, a nested tunnel's datagram inside an ESP path, needs about 1830
// of them, and 1800 leaves a margin. An underlay of up to 9000 bytes still works: its tunnels
// carry inner packets of at most this size.
inline constexpr std::size_t kMaxTunnelMtu = 1800;

struct Packet {
  std::byte* slot = nullptr;  // start of this slot's storage, owned by whoever made the slot
  std::size_t slot_size = 0;
  std::size_t offset = 0;  // first byte of the packet; [slot, slot + offset) is headroom
  std::size_t length = 0;
  Endpoint endpoint;  // UDP: source after a receive, destination for a send; unused for TUN
  // A path MTU probe (or the answer to one): its exact size is the measurement, so WireGuard
  // seals it without padding, and it is not held to a probed MTU (it is what tests a larger one).
  bool mtu_probe = false;

  MutableByteView bytes() const { return {slot + offset, length}; }
  // Everything from the packet's start to the end of the slot: where a read may write.
  MutableByteView room() const { return {slot + offset, slot_size - offset}; }
  std::size_t headroom() const { return offset; }
  std::size_t tailroom() const { return slot_size - offset - length; }
  // Moves the start of the packet (e.g. after prepending or stripping a header).
  void set_range(std::size_t new_offset, std::size_t new_length) {
    offset = new_offset;
    length = new_length;
  }
};

}  // namespace tandem
