// A fixed-capacity batch of packet slots with headroom: the unit every io/ read and write moves.
// All storage is allocated once in the constructor, so steady-state I/O allocates nothing. Each
// slot keeps `headroom` bytes in front of the packet so an engine can prepend outer headers (the
// WireGuard data header, ESP, L2TP) in place, and the rest of the slot as tailroom for tags.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/packet.hpp"

namespace tandem::io {

struct MmsgScratch;

// What happened to one batch write (UDP send or TUN write): packets the kernel took, and those it
// refused (unreachable network, wrong family, malformed, too big). A refused packet is counted
// and dropped rather than retried, as the kernel would drop it anyway.
struct SendResult {
  std::size_t sent = 0;
  std::size_t failed = 0;
  int first_error = 0;  // errno of the first refused packet, 0 if none
};

using Packet = tandem::Packet;

class PacketBatch {
 public:
  static constexpr std::size_t kDefaultCapacity = 64;
  static constexpr std::size_t kDefaultSlotSize = 2048;
  // A packet of the largest device MTU fits with the most headroom any path uses and its trailer.
  static_assert(kDefaultSlotSize >= kMaxTunnelMtu + 128 + 64);
  static constexpr std::size_t kDefaultHeadroom = 64;

  explicit PacketBatch(std::size_t capacity = kDefaultCapacity,
                       std::size_t slot_size = kDefaultSlotSize,
                       std::size_t headroom = kDefaultHeadroom);
  ~PacketBatch();
  PacketBatch(PacketBatch&&) noexcept;
  PacketBatch& operator=(PacketBatch&&) noexcept;
  PacketBatch(const PacketBatch&) = delete;
  PacketBatch& operator=(const PacketBatch&) = delete;

  std::size_t capacity() const { return packets_.size(); }
  std::size_t slot_size() const { return slot_size_; }
  std::size_t headroom() const { return headroom_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == packets_.size(); }

  // Empties the batch; every slot's offset returns to the headroom.
  void clear() { resize(0); }
  // Sets the count of packets in use (<= capacity); slots newly in use start empty at headroom.
  void resize(std::size_t count);
  // Appends an empty packet at the headroom. Precondition: !full().
  Packet& push_back();
  // Appends a copy of `bytes` (truncated to the slot) addressed to `endpoint`.
  Packet& push_back(ByteView bytes, const Endpoint& endpoint = {});

  Packet& operator[](std::size_t i) { return packets_[i]; }
  const Packet& operator[](std::size_t i) const { return packets_[i]; }
  Packet* begin() { return packets_.data(); }
  Packet* end() { return packets_.data() + size_; }
  const Packet* begin() const { return packets_.data(); }
  const Packet* end() const { return packets_.data() + size_; }

  // For io/ internals: the preallocated syscall headers matching this batch's slots.
  MmsgScratch& scratch() { return *scratch_; }

 private:
  std::size_t slot_size_;
  std::size_t headroom_;
  std::size_t size_ = 0;
  std::unique_ptr<std::byte[]> storage_;
  std::vector<Packet> packets_;
  std::unique_ptr<MmsgScratch> scratch_;
};

}  // namespace tandem::io
