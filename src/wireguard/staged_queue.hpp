// Inner packets held for a peer while its handshake is in flight (the kernel's staged packet
// queue): at most kMaxStagedPackets, oldest dropped first. Storage is allocated on first use and
// then reused, so a peer that never waits for a handshake costs nothing. Single-threaded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>

#include "base/bytes.hpp"
#include "wireguard/messages.hpp"

namespace tandem::wireguard {

class StagedQueue {
 public:
  static constexpr std::size_t kSlotSize = 2048;

  // False if the packet is too big to hold; when full, the oldest packet makes room (returns
  // true and sets `dropped_oldest`).
  bool push(ByteView packet, bool& dropped_oldest) {
    dropped_oldest = false;
    if (packet.size() > kSlotSize) return false;
    if (!storage_) storage_ = std::make_unique<std::byte[]>(kMaxStagedPackets * kSlotSize);
    if (count_ == kMaxStagedPackets) {
      pop();
      dropped_oldest = true;
    }
    const std::size_t slot = (head_ + count_) % kMaxStagedPackets;
    std::copy(packet.begin(), packet.end(), storage_.get() + slot * kSlotSize);
    lengths_[slot] = packet.size();
    ++count_;
    return true;
  }
  ByteView front() const { return {storage_.get() + head_ * kSlotSize, lengths_[head_]}; }
  void pop() {
    head_ = (head_ + 1) % kMaxStagedPackets;
    --count_;
  }
  void clear() {
    head_ = 0;
    count_ = 0;
  }
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  std::unique_ptr<std::byte[]> storage_;
  std::size_t lengths_[kMaxStagedPackets] = {};
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace tandem::wireguard
