#include "io/packet_batch.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "io/mmsg_scratch.hpp"

namespace tandem::io {

PacketBatch::PacketBatch(std::size_t capacity, std::size_t slot_size, std::size_t headroom)
    : slot_size_(slot_size),
      headroom_(std::min(headroom, slot_size)),
      storage_(new std::byte[capacity * slot_size]),
      packets_(capacity),
      scratch_(std::make_unique<MmsgScratch>(capacity)) {
  for (std::size_t i = 0; i < capacity; ++i) {
    packets_[i].slot = storage_.get() + i * slot_size;
    packets_[i].slot_size = slot_size;
    packets_[i].offset = headroom_;
  }
}

PacketBatch::~PacketBatch() = default;
PacketBatch::PacketBatch(PacketBatch&&) noexcept = default;
PacketBatch& PacketBatch::operator=(PacketBatch&&) noexcept = default;

void PacketBatch::resize(std::size_t count) {
  assert(count <= packets_.size());
  for (std::size_t i = size_; i < count; ++i) {
    packets_[i].offset = headroom_;
    packets_[i].length = 0;
    packets_[i].endpoint = {};
    packets_[i].mtu_probe = false;
  }
  size_ = count;
}

Packet& PacketBatch::push_back() {
  assert(!full());
  resize(size_ + 1);
  return packets_[size_ - 1];
}

Packet& PacketBatch::push_back(ByteView bytes, const Endpoint& endpoint) {
  Packet& p = push_back();
  p.length = std::min(bytes.size(), slot_size_ - headroom_);
  if (p.length != 0) std::memcpy(p.slot + p.offset, bytes.data(), p.length);
  p.endpoint = endpoint;
  return p;
}

}  // namespace tandem::io
