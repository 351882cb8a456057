// The reliable control channel of one tunnel (RFC 2661 section 5.8): sequence numbers, the
// peer's receive window, retransmission with exponential backoff, in-order delivery with a
// reorder buffer, duplicate detection and ZLB acknowledgements. Single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "l2tp/header.hpp"
#include "l2tp/protocol.hpp"

namespace tandem::l2tp {

// RFC 2661 5.8: a is before b when (b - a) mod 2^16 is in (0, 32768).
inline bool sequence_before(std::uint16_t a, std::uint16_t b) {
  const auto diff = static_cast<std::uint16_t>(b - a);
  return diff != 0 && diff < 32768;
}

struct ControlChannelConfig {
  std::uint16_t receive_window = 8;  // what we advertise: how many messages we buffer
  Duration initial_timeout = kInitialRetransmitTimeout;
  Duration max_timeout = kMaxRetransmitTimeout;
  int max_retransmissions = kDefaultMaxRetransmissions;
};

struct ControlChannelStats {
  std::uint64_t sent = 0;
  std::uint64_t retransmitted = 0;
  std::uint64_t zlb_sent = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;       // buffered ahead of a gap
  std::uint64_t outside_window = 0;  // beyond our receive window, dropped
  std::uint64_t bad_ack = 0;         // Nr acknowledging messages never sent
};

// A message handed to the tunnel in order.
struct DeliveredMessage {
  std::uint16_t session_id = 0;
  std::vector<std::byte> body;  // the AVPs
};

class ControlChannel {
 public:
  explicit ControlChannel(ControlChannelConfig config) : config_(config) {}

  // The tunnel id our datagrams carry: the peer's id, 0 until it assigned one (SCCRQ).
  void set_peer_tunnel_id(std::uint16_t id) { peer_tunnel_id_ = id; }
  void set_peer_receive_window(std::uint16_t window) {
    peer_window_ = window == 0 ? kDefaultPeerReceiveWindow : window;
  }
  std::uint16_t peer_receive_window() const { return peer_window_; }

  // Queues `body` for reliable delivery to the peer's session `session_id` (0: the tunnel).
  // Whatever the peer's window allows is appended to `out` as whole datagrams.
  void send(std::uint16_t session_id, std::vector<std::byte> body, TimePoint now,
            std::vector<std::vector<std::byte>>& out);

  // Processes a received control header (a ZLB when the payload is empty). Messages that became
  // deliverable, in order, are appended to `deliver`; newly allowed sends go to `out`.
  void on_receive(const Header& header, TimePoint now, std::vector<DeliveredMessage>& deliver,
                  std::vector<std::vector<std::byte>>& out);

  // Sends a ZLB if something was received that no outgoing message has acknowledged yet.
  void flush_ack(std::vector<std::vector<std::byte>>& out);

  // Retransmits what is due. Returns false when a message ran out of retransmissions: the
  // control connection is then dead (5.8: the tunnel must be cleaned up).
  bool on_timer(TimePoint now, std::vector<std::vector<std::byte>>& out);
  TimePoint next_deadline() const;

  bool idle() const { return unacked_.empty() && waiting_.empty(); }
  const ControlChannelStats& stats() const { return stats_; }

 private:
  struct Outstanding {
    std::uint16_t ns = 0;
    std::uint16_t session_id = 0;
    std::vector<std::byte> body;
    TimePoint deadline;
    Duration timeout{};
    int retransmissions = 0;
  };

  std::uint16_t first_unsent_ns() const {
    return waiting_.empty() ? next_ns_ : waiting_.front().ns;
  }
  void transmit(Outstanding& m, std::vector<std::vector<std::byte>>& out);
  void process_ack(std::uint16_t nr);
  void send_allowed(TimePoint now, std::vector<std::vector<std::byte>>& out);

  ControlChannelConfig config_;
  std::uint16_t peer_tunnel_id_ = 0;
  std::uint16_t peer_window_ = kDefaultPeerReceiveWindow;
  std::uint16_t next_ns_ = 0;      // Ns of the next new message
  std::uint16_t expected_ns_ = 0;  // our Nr: next in-order Ns from the peer
  bool ack_owed_ = false;
  std::deque<Outstanding> unacked_;                    // sent, in Ns order
  std::deque<Outstanding> waiting_;                    // queued behind the peer's window
  std::map<std::uint16_t, DeliveredMessage> reorder_;  // ahead of a gap, keyed by offset
  ControlChannelStats stats_;
};

}  // namespace tandem::l2tp
