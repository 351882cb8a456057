#include "daemon/key_groups.hpp"

namespace tandem::daemon {

void KeyGroups::set(const wireguard::PublicKey& key, std::uint32_t group, bool holds) {
  forget(key);
  if (group == 0) return;
  group_of_[key] = group;
  if (holds || !holder_.contains(group)) holder_[group] = key;
}

void KeyGroups::forget(const wireguard::PublicKey& key) {
  const auto it = group_of_.find(key);
  if (it == group_of_.end()) return;
  const auto holder = holder_.find(it->second);
  if (holder != holder_.end() && holder->second == key) holder_.erase(holder);
  group_of_.erase(it);
}

std::optional<wireguard::PublicKey> KeyGroups::on_handshake(wireguard::Device& device,
                                                            wireguard::PeerId id) {
  const wireguard::Peer* peer = device.peer(id);
  if (!peer) return std::nullopt;
  const auto group = group_of_.find(peer->remote.public_key);
  if (group == group_of_.end()) return std::nullopt;
  auto& holder = holder_[group->second];
  if (holder == peer->remote.public_key) return std::nullopt;
  const auto from = holder;
  holder = peer->remote.public_key;
  const auto from_id = device.find_peer(from);
  if (!from_id) return std::nullopt;
  // Adding a prefix to this peer takes it from the other (one owner per address).
  for (const IpPrefix& prefix : device.allowed_ips(*from_id)) device.add_allowed_ip(id, prefix);
  return from;
}

}  // namespace tandem::daemon
