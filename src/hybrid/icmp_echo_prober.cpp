// IcmpEchoProber (icmp_echo_prober.hpp): probes as echo requests, replies matched by their tag.
#include "hybrid/icmp_echo_prober.hpp"

#include <array>

#include "packet/icmp_echo.hpp"

namespace tandem::hybrid {
namespace {

// The tag at the start of each probe's data: the prober's key, the probe id, the probe size.
constexpr std::size_t kTagSize = 4 + 4 + 2;

}  // namespace

IcmpEchoProber::IcmpEchoProber(MtuProberSettings settings, const IpAddress& source,
                               const IpAddress& target, Rng& rng)
    : prober_(settings),
      source_(source),
      target_(target),
      identifier_(static_cast<std::uint16_t>(rng.next_u32())),
      tag_key_(rng.next_u32()) {}

std::size_t IcmpEchoProber::build(const PmtuSearch::Probe& probe, MutableByteView out) const {
  std::array<std::byte, kTagSize> tag{};
  store_be32(tag.data(), tag_key_);
  store_be32(tag.data() + 4, probe.id);
  store_be16(tag.data() + 8, static_cast<std::uint16_t>(probe.size));
  // The sequence number is what ping shows for a probe seen in a capture; the tag is what counts.
  return packet::build_icmp_echo(out, packet::IcmpEchoKind::kRequest, source_, target_, identifier_,
                                 static_cast<std::uint16_t>(probe.id), tag, probe.size);
}

bool IcmpEchoProber::take_fragment(ByteView packet, TimePoint now) {
  const auto piece = packet::parse_icmp_echo_fragment(packet);
  if (!piece || piece->source != target_ || piece->destination != source_) return false;
  if (!piece->first) return fragmented_reply_ && piece->identification == *fragmented_reply_;
  if (piece->kind != packet::IcmpEchoKind::kReply || piece->identifier != identifier_ ||
      piece->data.size() < kTagSize || load_be32(piece->data.data()) != tag_key_)
    return false;
  // The far end's own device was smaller than the request, so its reply comes in pieces: the
  // request arrived whole (it went with DF), which is what holds this direction of the path;
  // the way back is the far end's to measure. The rest of the pieces are taken out too.
  fragmented_reply_ = piece->identification;
  prober_.on_ack(load_be32(piece->data.data() + 4), now);
  return true;
}

bool IcmpEchoProber::take_reply(ByteView packet, TimePoint now) {
  if (take_fragment(packet, now)) return true;
  const auto echo = packet::parse_icmp_echo(packet);
  if (!echo || echo->kind != packet::IcmpEchoKind::kReply || echo->identifier != identifier_ ||
      echo->source != target_ || echo->destination != source_ || echo->data.size() < kTagSize ||
      load_be32(echo->data.data()) != tag_key_)
    return false;
  const std::uint32_t id = load_be32(echo->data.data() + 4);
  // A reply shorter than its request (cut somewhere on the way) says nothing about the size.
  if (load_be16(echo->data.data() + 8) == echo->packet_size) prober_.on_ack(id, now);
  return true;
}

}  // namespace tandem::hybrid
