// Coalescing TCP segments into one GSO super-packet (the receive offload, GRO, done in
// userspace): consecutive in-order segments of one flow become one packet of up to 64 KB with a
// virtio-net header, which a TUN device with offloads hands the kernel in one write, so the
// kernel's TCP takes them as one as well.
//
// Only where it is exactly what the kernel's own GRO would do (net/ipv4/tcp_offload.c,
// tcp_gro_receive): same addresses, ports, IP fields (TOS/traffic class, TTL, DF, flow label),
// TCP header (acknowledgment, window, options byte for byte) but the sequence number; each
// segment starting where the one before ended; every segment with the payload of the first but
// the last, which may be shorter; no flag but ACK, and PSH on the last only; no IPv4 options or
// IPv6 extension headers. Every segment's checksum is verified first, as the kernel would have:
// a super-packet's checksum is left for the kernel to trust (NEEDS_CSUM), not to check.
#pragma once

#include <cstddef>
#include <span>

#include "base/bytes.hpp"
#include "base/packet.hpp"

namespace tandem::packet {

// The most segments one super-packet takes (the kernel's own GRO stops at the same count).
inline constexpr std::size_t kMaxCoalescedSegments = 64;

// How many packets from packets[first] on coalesce into one super-packet (1: it stays alone).
std::size_t tcp_coalescible_run(std::span<const Packet> packets, std::size_t first);

// Writes the virtio-net header and the super-packet of `run` (a run tcp_coalescible_run found,
// at least two packets) to `out`, which must hold kVirtioNetHeaderSize + 65535 bytes. Returns
// the bytes written.
std::size_t write_coalesced_tcp(std::span<const Packet> run, MutableByteView out);

}  // namespace tandem::packet
