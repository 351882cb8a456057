// WireGuard keys that share one set of addresses: a gateway account's keys while a rotation's
// overlap lasts (or an account given several keys). WireGuard's cryptokey routing gives each
// address to one peer, so only one key of a group holds the account's addresses at a time; when
// another key of the group completes a handshake (the client moved to it), the addresses move
// to that key before its first packet is checked, and what the gateway sends goes to the key in
// use. Called with the device lock held, from the device's events.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "wireguard/device.hpp"

namespace tandem::daemon {

class KeyGroups {
 public:
  // `key` belongs to `group` (0: to none); `holds` says it holds the group's addresses now.
  void set(const wireguard::PublicKey& key, std::uint32_t group, bool holds);
  void forget(const wireguard::PublicKey& key);
  // Peer `id` completed a handshake: if another key of its group holds the addresses, they move
  // to it. Returns the key they moved from, for the log.
  std::optional<wireguard::PublicKey> on_handshake(wireguard::Device& device, wireguard::PeerId id);
  bool empty() const { return group_of_.empty(); }

 private:
  std::map<wireguard::PublicKey, std::uint32_t> group_of_;
  std::map<std::uint32_t, wireguard::PublicKey> holder_;
};

}  // namespace tandem::daemon
