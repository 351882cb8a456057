// Names of path kinds and states as logs, status output and metrics labels spell them.
#include "hybrid/path.hpp"

namespace tandem::hybrid {

const char* path_kind_name(PathKind kind) {
  switch (kind) {
    case PathKind::kWireguard:
      return "wireguard";
    case PathKind::kL2tpIpsec:
      return "l2tp-ipsec";
    case PathKind::kIpsecTunnel:
      return "ipsec";
    case PathKind::kNested:
      return "nested";
  }
  return "unknown";  // only reachable through a cast of an out-of-range value
}

const char* path_state_name(PathState state) {
  switch (state) {
    case PathState::kDown:
      return "down";
    case PathState::kConnecting:
      return "connecting";
    case PathState::kUp:
      return "up";
  }
  return "unknown";
}

}  // namespace tandem::hybrid
