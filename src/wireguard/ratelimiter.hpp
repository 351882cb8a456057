// Per-source rate limiting of handshake messages under load (the kernel's ratelimiter.c):
// a token bucket of 20 packets per second with a burst of 5 for each IPv4 address or IPv6 /64.
// The table is bounded; when it is full new sources are refused rather than the table grown.
// Single-threaded.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "base/ip_address.hpp"
#include "base/time.hpp"

namespace tandem::wireguard {

class HandshakeRateLimiter {
 public:
  static constexpr std::uint64_t kPacketsPerSecond = 20;
  static constexpr std::uint64_t kPacketsBurstable = 5;

  explicit HandshakeRateLimiter(std::size_t max_entries = 8192) : max_entries_(max_entries) {}

  bool allow(const IpAddress& source, TimePoint now);
  std::size_t tracked_sources() const { return entries_.size(); }

 private:
  using SourceKey = std::array<std::uint8_t, 9>;  // family + 4 bytes or the /64
  struct SourceKeyHash {
    std::size_t operator()(const SourceKey& k) const;
  };
  struct Bucket {
    TimePoint last{};
    std::int64_t tokens = 0;  // in nanoseconds of credit
  };

  void collect_garbage(TimePoint now);

  std::size_t max_entries_;
  std::unordered_map<SourceKey, Bucket, SourceKeyHash> entries_;
  TimePoint last_gc_{};
};

}  // namespace tandem::wireguard
