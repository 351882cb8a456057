// Path MTU probes as ICMP echo requests (RFC 792, RFC 4443 section 4) to an address at the far end
// of a path, such as a WireGuard peer's own tunnel address: any host answers them, so a path to a
// peer that runs no Tandem can be measured too (RFC 8899 section 4.1 lets a probe be any packet
// whose arrival the far end confirms). A reply carries the request's data back, so it is as large
// as the request, and one that arrives says the size went both ways.
//
// Each probe's data starts with a tag: a value drawn at random for this prober, the probe's id
// and its size. A reply is matched by its addresses, identifier and tag, so that an ordinary ping
// to the same address (whose identifier may happen to be ours) is never taken for a probe.
// Sans-I/O and single-threaded; the MtuProber inside decides what to send when.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "hybrid/mtu_prober.hpp"

namespace tandem::hybrid {

class IcmpEchoProber {
 public:
  // Probes go from `source` (our address on the path) to `target` (one family); `rng` draws the
  // echo identifier and the tag.
  IcmpEchoProber(MtuProberSettings settings, const IpAddress& source, const IpAddress& target,
                 Rng& rng);

  MtuProber& prober() { return prober_; }
  const MtuProber& prober() const { return prober_; }
  const IpAddress& source() const { return source_; }
  const IpAddress& target() const { return target_; }

  // Writes the echo request for `probe` into `out`: an IP packet of exactly probe.size bytes.
  // Returns its size, or 0 when `out` is too small or the size cannot hold the headers and tag.
  std::size_t build(const PmtuSearch::Probe& probe, MutableByteView out) const;

  // Whether `packet`, an inner packet that came out of the path, is the reply to a probe of
  // ours; if so the caller consumes it (it is no one else's), and its probe counts as
  // acknowledged when the reply came back at the size sent, or in fragments (the far end's
  // device is smaller than the probe: the request arrived whole, and the pieces prove it).
  bool take_reply(ByteView packet, TimePoint now);

 private:
  // A piece of a fragmented reply to one of our probes (the first acknowledges it).
  bool take_fragment(ByteView packet, TimePoint now);

  MtuProber prober_;
  IpAddress source_;
  IpAddress target_;
  std::uint16_t identifier_;
  std::uint32_t tag_key_;
  std::optional<std::uint32_t> fragmented_reply_;  // the identification of the latest one
};

}  // namespace tandem::hybrid
