// What the packet micro-benchmarks share: caller-owned slots with headroom as the data path has
// them, the packet sizes measured, and a batch of sealed packets that an open benchmark consumes
// without copying inside the timed loop.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "base/packet.hpp"

namespace tandem::bench {

// Inner packet sizes: the smallest, a middling one, a full WireGuard MTU and an Ethernet MTU.
inline void packet_sizes(benchmark::internal::Benchmark* b) {
  for (const int size : {64, 512, 1420, 1500}) b->Arg(size);
}

// The benchmark's packet size argument. An IP packet's size fits 16 bits; saying so also tells
// the compiler that buffers of that size are not absurdly large.
inline std::size_t packet_size(const benchmark::State& state) {
  return static_cast<std::uint16_t>(state.range(0));
}

// Packets per second and inner bytes per second, from `bytes_per_packet` each.
inline void set_packet_rates(benchmark::State& state, std::size_t bytes_per_packet) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes_per_packet));
}

// Headroom and tailroom enough for every protocol measured (as io::PacketBatch gives 128).
inline constexpr std::size_t kHeadroom = 128;
inline constexpr std::size_t kTailroom = 128;

// A payload of `n` bytes that is not all zeros (so a broken cipher cannot pass for a working one).
inline std::vector<std::byte> pattern(std::size_t n, std::uint8_t seed = 1) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(seed + i * 31);
  return out;
}

// One slot holding a packet at kHeadroom.
class Slot {
 public:
  explicit Slot(std::size_t capacity) : storage_(kHeadroom + capacity + kTailroom) {}

  // The packet `bytes` copied to kHeadroom.
  Packet hold(ByteView bytes) {
    std::copy(bytes.begin(), bytes.end(), storage_.begin() + kHeadroom);
    return at(kHeadroom, bytes.size());
  }
  // A packet over what is already in the slot.
  Packet at(std::size_t offset, std::size_t length) {
    Packet p;
    p.slot = storage_.data();
    p.slot_size = storage_.size();
    p.offset = offset;
    p.length = length;
    return p;
  }

 private:
  std::vector<std::byte> storage_;
};

// kCount sealed packets kept pristine, and working copies that an open benchmark decrypts in
// place one per iteration. When the copies are used up they are restored (and `on_refill` resets
// the receiver's replay window) with the timer paused, so the timed loop holds the open alone.
class SealedBatch {
 public:
  static constexpr std::size_t kCount = 256;

  // `seal(i, packet)` seals packet i in place (it holds the plaintext at kHeadroom).
  SealedBatch(ByteView plaintext, const std::function<bool(std::size_t, Packet&)>& seal) {
    for (std::size_t i = 0; i < kCount; ++i) {
      Slot slot(plaintext.size());
      Packet p = slot.hold(plaintext);
      if (!seal(i, p)) return;
      pristine_.push_back(p);
      slots_.push_back(std::move(slot));
    }
    working_.assign(slots_.begin(), slots_.end());
    reset_working();
  }

  bool ok() const { return pristine_.size() == kCount; }

  // The next sealed packet to open; restores all of them first when they are used up. A template,
  // not a std::function, so that the timed loop pays for no type erasure.
  template <typename Refill>
  Packet& next(benchmark::State& state, const Refill& on_refill) {
    if (used_ == kCount) {
      state.PauseTiming();
      reset_working();
      on_refill();
      state.ResumeTiming();
    }
    return current_[used_++];
  }
  // Restores every packet and starts over (for a check outside the timed loop).
  void restart() { reset_working(); }

 private:
  void reset_working() {
    current_.clear();
    for (std::size_t i = 0; i < kCount; ++i) {
      const Packet& from = pristine_[i];
      Packet to = working_[i].at(from.offset, from.length);
      to.endpoint = from.endpoint;
      std::copy_n(from.slot, from.slot_size, to.slot);
      current_.push_back(to);
    }
    used_ = 0;
  }

  std::vector<Slot> slots_;  // the pristine bytes
  std::vector<Packet> pristine_;
  std::vector<Slot> working_;  // what open() decrypts in place
  std::vector<Packet> current_;
  std::size_t used_ = 0;
};

}  // namespace tandem::bench
