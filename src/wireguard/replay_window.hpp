// Sliding-window anti-replay for transport data counters (whitepaper section 5.4.6, the bitmap
// of RFC 6479): a counter is accepted once, and only if it is not older than the window.
// Single-threaded.
#pragma once

#include <array>
#include <cstdint>

namespace tandem::wireguard {

class ReplayWindow {
 public:
  // The kernel's window: 8192 bits less one word, so reordering across a full batch of
  // parallel decryption never looks like a replay.
  static constexpr std::uint64_t kWords = 8192 / 64;
  static constexpr std::uint64_t kWindowSize = (kWords - 1) * 64;
  static constexpr std::uint64_t kRejectAfterMessages = ~0ull - (1ull << 13);

  // True if `counter` is neither too old nor already seen; no state change (checked before
  // the costly decrypt).
  bool may_accept(std::uint64_t counter) const {
    if (counter >= kRejectAfterMessages) return false;
    if (!any_ || counter > greatest_) return true;
    if (greatest_ - counter >= kWindowSize) return false;
    return !test(counter);
  }

  // Marks `counter` seen after its packet authenticated; false if it was a replay or too old.
  bool accept(std::uint64_t counter) {
    if (!may_accept(counter)) return false;
    if (!any_ || counter > greatest_) {
      const std::uint64_t old_word = any_ ? greatest_ / 64 : 0;
      const std::uint64_t new_word = counter / 64;
      // Clear the words the window slides over (at most the whole bitmap).
      const std::uint64_t steps = any_ ? std::min(new_word - old_word, kWords) : kWords;
      for (std::uint64_t i = 1; i <= steps; ++i) bits_[(old_word + i) % kWords] = 0;
      if (!any_) bits_[new_word % kWords] = 0;
      greatest_ = counter;
      any_ = true;
    }
    set(counter);
    return true;
  }

  void reset() {
    bits_ = {};
    greatest_ = 0;
    any_ = false;
  }

 private:
  bool test(std::uint64_t c) const { return (bits_[(c / 64) % kWords] >> (c % 64)) & 1u; }
  void set(std::uint64_t c) { bits_[(c / 64) % kWords] |= 1ull << (c % 64); }

  std::array<std::uint64_t, kWords> bits_{};
  std::uint64_t greatest_ = 0;
  bool any_ = false;
};

}  // namespace tandem::wireguard
