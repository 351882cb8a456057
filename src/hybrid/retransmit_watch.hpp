// Large TCP segments sent a second time: the sign of a path that stopped carrying its size
// without telling anyone. Behind a hop that drops large datagrams silently, every full-size
// segment is lost and sent again while the small packets (ACKs, the handshake) still pass;
// ordinary congestion loses some too. Either way, one probe of the size in use settles it
// (MtuProber::on_large_retransmit), so a black hole is found as soon as a sender starts
// repeating itself, not only at the next periodic confirmation.
//
// Per flow (addresses and ports, in a direct-mapped table: 256 slots, or as many as the owner
// asks for, such as a gateway whose thousands of sessions each carry flows) it keeps where the
// large segments sent so far end; a large segment that starts before that point has been sent
// before. Only packets larger than `large_above` (the search's base, which every path carries) are
// looked at beyond their length, so small packets cost one comparison. IPv4 and IPv6 (no
// extension headers); fragments and anything unparsable are ignored. Sans-I/O; one per sending
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/bytes.hpp"

namespace tandem::hybrid {

class RetransmitWatch {
 public:
  static constexpr std::size_t kDefaultFlows = 256;
  // For a gateway, whose thousands of clients share one watch (16 bytes a slot: 256 KiB).
  static constexpr std::size_t kGatewayFlows = 16384;
  // `flows`: the table's slots, rounded up to a power of two; a flow whose slot another takes
  // is watched afresh from its next segment (a retransmission then may go unseen).
  explicit RetransmitWatch(std::size_t large_above = 1280, std::size_t flows = kDefaultFlows);

  // An inner packet leaving on the path: true when it is a large TCP segment carrying data its
  // flow had already sent.
  bool on_outbound(ByteView packet);
  std::uint64_t large_retransmits() const { return large_retransmits_; }

 private:
  struct Flow {
    std::uint64_t key = 0;  // 0: free
    std::uint32_t next_sequence = 0;
  };
  std::size_t large_above_;
  std::vector<Flow> flows_;  // a power of two of them
  std::uint64_t large_retransmits_ = 0;
};

}  // namespace tandem::hybrid
