// Where a nested protocol's datagrams go instead of a UDP socket: into its outer path, as UDP
// in the outer tunnel's inner IP (nested_interface.hpp). The carrier builds the IP and UDP
// headers and hands the packet to the outer path directly, so no datagram of the inner protocol
// ever reaches a socket (or the kernel) outside the outer tunnel. What the outer path opens for
// the nested protocol comes back through that protocol's own receive call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "io/packet_batch.hpp"

namespace tandem::daemon {

class DatagramCarrier {
 public:
  virtual ~DatagramCarrier() = default;
  // Sends batch[begin, end), each datagram to its `endpoint`, from `source_port`; what cannot be
  // carried now (the outer path is down, its queue is full) is dropped and counted. Any thread.
  virtual void carry(io::PacketBatch& batch, std::size_t begin, std::size_t end,
                     std::uint16_t source_port) = 0;
  // One datagram (a control message).
  virtual void carry_one(ByteView datagram, const Endpoint& to, std::uint16_t source_port) = 0;
};

}  // namespace tandem::daemon
