// IPv4 fragmentation (RFC 791 sections 2.3 and 3.2, with the option rules of section 3.1): an
// inner packet without DF that is larger than a path's MTU is cut into fragments the far end
// reassembles. Pure function: no I/O, no allocation; it writes into slots the caller provides,
// such as free io::PacketBatch slots.
#pragma once

#include <cstddef>
#include <span>

#include "base/bytes.hpp"

namespace tandem::packet {

// Splits `packet`, a whole IPv4 packet (parse_ip_header; bytes after its stated total length are
// ignored), into fragments of at most `mtu` bytes: fragment i goes to the start of
// `out_slots[i]` and its size to `out_lengths[i]`. Returns the number of fragments.
//
// - A packet that already fits `mtu` is copied as the only fragment, unchanged (DF or not).
// - Otherwise every fragment carries the packet's header with total length, MF, fragment offset
//   and header checksum recomputed; ID, TOS, TTL, protocol and addresses are kept. The first
//   fragment keeps all the options, later ones only those whose copied flag is set, padded with
//   End of Option List to a multiple of 4 bytes. Each fragment's data is a multiple of 8 bytes
//   except the last one's. A packet that is itself a fragment keeps its offset as the base of
//   the new offsets, and MF on the last piece when it had MF.
// - Returns 0 when it cannot: not a whole IPv4 packet, DF set, `mtu` below 68 (RFC 791 section
//   3.2), malformed options, an offset past the 13-bit field, fewer slots or lengths than
//   fragments, or a slot too small for its fragment. The slots and lengths may then hold
//   partial output.
//
// `out_slots[0]` may begin at `packet`'s first byte (the first fragment is then made in place);
// no slot may otherwise overlap `packet` or another slot.
std::size_t fragment_ipv4(ByteView packet, std::size_t mtu,
                          std::span<const MutableByteView> out_slots,
                          std::span<std::size_t> out_lengths);

}  // namespace tandem::packet
