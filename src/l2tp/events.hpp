// What the L2TP engine asks of its caller: datagrams to send, PPP frames that arrived for a
// session, and tunnel/session events. One Actions value collects everything one input caused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::l2tp {

// A session as this node names it: our tunnel id and our session id.
struct SessionRef {
  std::uint16_t tunnel_id = 0;
  std::uint16_t session_id = 0;
  friend auto operator<=>(const SessionRef&, const SessionRef&) = default;
};

enum class EventType : std::uint8_t { kTunnelUp, kTunnelDown, kSessionUp, kSessionDown };

struct Event {
  EventType type = EventType::kTunnelUp;
  SessionRef ref;  // session_id is 0 for tunnel events
  Endpoint peer;
  std::uint16_t result_code = 0;  // StopCCN or CDN result, when the peer sent or we chose one
  std::string reason;             // for the log: who closed it and why
};

struct OutDatagram {
  Endpoint to;
  std::vector<std::byte> bytes;
};

// A PPP frame received on an established session; `frame` views the input datagram.
struct PppFrame {
  SessionRef session;
  ByteView frame;
};

struct Actions {
  std::vector<OutDatagram> datagrams;
  std::vector<PppFrame> frames;
  std::vector<Event> events;
  void clear() {
    datagrams.clear();
    frames.clear();
    events.clear();
  }
};

const char* event_type_name(EventType type);

}  // namespace tandem::l2tp
