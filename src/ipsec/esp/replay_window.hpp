// ESP anti-replay (RFC 4303 section 3.4.3): a sliding window of the highest sequence number
// accepted and a bitmap of the kWindow numbers below it. check() is done before the ICV is
// verified and accept() only after, so forged packets cannot move the window.
#pragma once

#include <array>
#include <cstdint>

namespace tandem::ipsec::esp {

class ReplayWindow {
 public:
  static constexpr std::uint32_t kWindow = 1024;

  // Would `seq` be accepted? (0 never is: the first packet of an SA carries 1.)
  bool check(std::uint32_t seq) const {
    if (seq == 0) return false;
    if (seq > top_) return true;
    const std::uint32_t behind = top_ - seq;
    if (behind >= kWindow) return false;
    return !bit(seq);
  }

  // Records `seq` as received; call only after check() and a good ICV.
  void accept(std::uint32_t seq) {
    if (seq > top_) {
      const std::uint32_t advance = seq - top_;
      if (advance >= kWindow) {
        bits_.fill(0);
      } else {
        for (std::uint32_t s = top_ + 1; s != seq; ++s) clear(s);
      }
      top_ = seq;
    }
    set(seq);
  }

  std::uint32_t top() const { return top_; }

 private:
  static constexpr std::size_t kWords = kWindow / 64;
  bool bit(std::uint32_t s) const { return (bits_[(s / 64) % kWords] >> (s % 64)) & 1U; }
  void set(std::uint32_t s) { bits_[(s / 64) % kWords] |= std::uint64_t{1} << (s % 64); }
  void clear(std::uint32_t s) { bits_[(s / 64) % kWords] &= ~(std::uint64_t{1} << (s % 64)); }

  std::uint32_t top_ = 0;
  std::array<std::uint64_t, kWords> bits_{};
};

}  // namespace tandem::ipsec::esp
