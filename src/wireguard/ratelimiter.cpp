#include "wireguard/ratelimiter.hpp"

#include <algorithm>

namespace tandem::wireguard {
namespace {

constexpr std::int64_t kPacketCost = 1'000'000'000 / HandshakeRateLimiter::kPacketsPerSecond;
constexpr std::int64_t kTokenMax = kPacketCost * HandshakeRateLimiter::kPacketsBurstable;

}  // namespace

std::size_t HandshakeRateLimiter::SourceKeyHash::operator()(const SourceKey& k) const {
  std::uint64_t h = 1469598103934665603ull;
  for (auto b : k) h = (h ^ b) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

void HandshakeRateLimiter::collect_garbage(TimePoint now) {
  // Once a second, forget sources idle long enough to have a full bucket again.
  if (now - last_gc_ < std::chrono::seconds(1)) return;
  last_gc_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.last >= std::chrono::seconds(1))
      it = entries_.erase(it);
    else
      ++it;
  }
}

bool HandshakeRateLimiter::allow(const IpAddress& source, TimePoint now) {
  collect_garbage(now);
  SourceKey key{};
  key[0] = static_cast<std::uint8_t>(source.family());
  // An IPv6 host controls its whole /64, so that is the unit it is limited by.
  std::copy_n(source.data(), source.is_v4() ? 4 : 8, key.begin() + 1);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) return false;
    entries_.emplace(key, Bucket{now, kTokenMax - kPacketCost});
    return true;
  }
  Bucket& b = it->second;
  const std::int64_t elapsed =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - b.last).count();
  b.tokens = std::min(kTokenMax, b.tokens + std::max<std::int64_t>(elapsed, 0));
  b.last = now;
  if (b.tokens < kPacketCost) return false;
  b.tokens -= kPacketCost;
  return true;
}

}  // namespace tandem::wireguard
