#include "ipsec/ike/actions.hpp"

namespace tandem::ipsec::ike {

const char* event_type_name(EventType type) {
  switch (type) {
    case EventType::kIkeSaUp:
      return "ike-sa-up";
    case EventType::kIkeSaDown:
      return "ike-sa-down";
    case EventType::kChildSaUp:
      return "child-sa-up";
    case EventType::kChildSaDown:
      return "child-sa-down";
    case EventType::kChildSaAgreed:
      return "child-sa-agreed";
    case EventType::kRefused:
      return "refused";
    case EventType::kDeadPeer:
      return "dead-peer";
    case EventType::kRetransmitGaveUp:
      return "retransmit-gave-up";
  }
  return "unknown";
}

}  // namespace tandem::ipsec::ike
