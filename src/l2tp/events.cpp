// Names for L2TP events, for logs.
#include "l2tp/events.hpp"

namespace tandem::l2tp {

const char* event_type_name(EventType type) {
  switch (type) {
    case EventType::kTunnelUp:
      return "tunnel-up";
    case EventType::kTunnelDown:
      return "tunnel-down";
    case EventType::kSessionUp:
      return "session-up";
    case EventType::kSessionDown:
      return "session-down";
  }
  return "unknown";
}

}  // namespace tandem::l2tp
