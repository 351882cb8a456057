#include "hybrid/underlay_mtus.hpp"

#include <algorithm>

namespace tandem::hybrid {
namespace {

std::size_t floor_for(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? 552 : 1280;
}

}  // namespace

bool UnderlayMtus::report(const IpAddress& peer, std::size_t path_mtu, TimePoint now) {
  const std::size_t reported = std::max(path_mtu, floor_for(peer.family()));
  auto it = paths_.find(peer);
  if (it != paths_.end() && now - it->second.learned < kUnderlayMtuLifetime &&
      reported >= it->second.path_mtu) {
    // The same report again (each too-big datagram draws one) keeps it; a higher one is not
    // believed.
    if (reported == it->second.path_mtu) it->second.learned = now;
    return false;
  }
  paths_[peer] = Entry{reported, now};
  return true;
}

std::optional<std::size_t> UnderlayMtus::lookup(const IpAddress& peer, TimePoint now) const {
  auto it = paths_.find(peer);
  if (it == paths_.end() || now - it->second.learned >= kUnderlayMtuLifetime) return std::nullopt;
  return it->second.path_mtu;
}

std::vector<UnderlayMtus::Known> UnderlayMtus::known(TimePoint now) const {
  std::vector<Known> out;
  for (const auto& [peer, e] : paths_)
    if (now - e.learned < kUnderlayMtuLifetime) out.push_back({peer, e.path_mtu});
  return out;
}

}  // namespace tandem::hybrid
