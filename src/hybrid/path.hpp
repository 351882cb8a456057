// A path: one way of carrying inner IP packets between this node and one remote node (a WireGuard
// peer, a PPP session over L2TP/IPsec, an ESP tunnel, or one of these nested in another). The
// router and the fallback controller know paths only by id, kind and state; the daemon owns the
// engines behind them. Plain values, no behaviour.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tandem::hybrid {

using PathId = std::uint32_t;
inline constexpr PathId kNoPath = 0;

enum class PathKind : std::uint8_t { kWireguard, kL2tpIpsec, kIpsecTunnel, kNested };

// A client's or site's two paths to one gateway (fallback.hpp): WireGuard first, then the other.
enum class PathRole : std::uint8_t { kPrimary = 0, kSecondary = 1 };

// What the protocol under the path says, before any probing: kUp means it can carry packets
// now (a WireGuard session, an open IPCP, an installed Child SA).
enum class PathState : std::uint8_t { kDown, kConnecting, kUp };

struct PathCounters {
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t dropped = 0;  // refused by the router (no route, spoofed source)
};

struct PathInfo {
  PathId id = kNoPath;
  PathKind kind = PathKind::kWireguard;
  std::string name;  // for logs and status: "wireguard", "l2tp-ipsec", or the account's session
  PathState state = PathState::kDown;
  std::size_t mtu = 0;  // inner packets up to this size fit
  PathCounters counters;
};

const char* path_kind_name(PathKind kind);     // "wireguard", "l2tp-ipsec", "ipsec", "nested"
const char* path_state_name(PathState state);  // "down", "connecting", "up"

}  // namespace tandem::hybrid
