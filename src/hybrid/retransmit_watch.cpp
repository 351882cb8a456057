#include "hybrid/retransmit_watch.hpp"

#include "packet/ip_packet.hpp"

namespace tandem::hybrid {
namespace {

constexpr std::uint8_t kTcp = 6;

// FNV-1a over the flow's addresses and ports; never 0 (a free slot).
std::uint64_t flow_key(const std::byte* addresses, std::size_t address_bytes,
                       const std::byte* ports) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&h](const std::byte* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      h ^= std::to_integer<std::uint64_t>(p[i]);
      h *= 0x100000001b3ULL;
    }
  };
  mix(addresses, address_bytes);
  mix(ports, 4);
  return h == 0 ? 1 : h;
}

std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

RetransmitWatch::RetransmitWatch(std::size_t large_above, std::size_t flows)
    : large_above_(large_above), flows_(power_of_two_at_least(flows)) {}

bool RetransmitWatch::on_outbound(ByteView packet) {
  if (packet.size() <= large_above_) return false;
  const auto header = packet::parse_ip_header(packet);
  if (!header || header->total_length <= large_above_) return false;
  const auto byte = [&](std::size_t i) { return std::to_integer<unsigned>(packet[i]); };
  std::size_t transport = 0;
  if (header->family == IpAddress::Family::kV4) {
    if (byte(9) != kTcp || (load_be16(packet.data() + 6) & 0x3fff) != 0) return false;
    transport = (byte(0) & 0x0f) * 4;
  } else {
    if (byte(6) != kTcp) return false;
    transport = packet::kIpv6HeaderSize;
  }
  if (header->total_length < transport + 20) return false;
  const std::size_t tcp_header = (byte(transport + 12) >> 4) * 4;
  if (tcp_header < 20 || header->total_length < transport + tcp_header) return false;
  const auto payload = static_cast<std::uint32_t>(header->total_length - transport - tcp_header);
  if (payload == 0) return false;
  const std::uint32_t sequence = load_be32(packet.data() + transport + 4);
  // Source and destination addresses lie next to each other in both families.
  const std::uint64_t key =
      flow_key(header->source, 2 * header->address_size(), packet.data() + transport);
  Flow& flow = flows_[key & (flows_.size() - 1)];
  const std::uint32_t end = sequence + payload;
  if (flow.key != key) {  // a new flow, or another one in the slot: start from here
    flow = {key, end};
    return false;
  }
  // Serial-number arithmetic (RFC 1982): the sequence space wraps.
  const bool seen = static_cast<std::int32_t>(sequence - flow.next_sequence) < 0;
  if (static_cast<std::int32_t>(end - flow.next_sequence) > 0) flow.next_sequence = end;
  if (seen) ++large_retransmits_;
  return seen;
}

}  // namespace tandem::hybrid
