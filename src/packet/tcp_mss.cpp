#include "packet/tcp_mss.hpp"

#include <optional>

namespace tandem::packet {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::size_t kTcpHeader = 20;
constexpr std::uint8_t kSynFlag = 0x02;
constexpr std::uint8_t kOptionEnd = 0;
constexpr std::uint8_t kOptionNop = 1;
constexpr std::uint8_t kOptionMss = 2;

std::uint8_t byte_at(ByteView p, std::size_t i) {
  return std::to_integer<std::uint8_t>(p[i]);
}

// Where the TCP header starts and how many bytes of the segment are here; nullopt when the
// packet does not carry the start of a TCP segment.
struct Segment {
  std::size_t offset = 0;
  std::size_t length = 0;
};
std::optional<Segment> tcp_segment(ByteView p) {
  if (p.empty()) return std::nullopt;
  const unsigned version = byte_at(p, 0) >> 4;
  if (version == 4) {
    if (p.size() < 20) return std::nullopt;
    const std::size_t ihl = (byte_at(p, 0) & 0x0f) * std::size_t{4};
    const std::size_t total = load_be16(p.data() + 2);
    const bool later_fragment = (load_be16(p.data() + 6) & 0x1fff) != 0;
    if (ihl < 20 || total < ihl || total > p.size() || byte_at(p, 9) != kTcp || later_fragment)
      return std::nullopt;
    return Segment{ihl, total - ihl};
  }
  if (version == 6) {
    if (p.size() < 40 || byte_at(p, 6) != kTcp) return std::nullopt;
    const std::size_t payload = load_be16(p.data() + 4);
    if (40 + payload > p.size()) return std::nullopt;
    return Segment{40, payload};
  }
  return std::nullopt;
}

// RFC 1624 eqn. 3: the checksum after a 16-bit word of the summed data went from `old_word` to
// `new_word`.
std::uint16_t adjusted_checksum(std::uint16_t checksum, std::uint16_t old_word,
                                std::uint16_t new_word) {
  std::uint32_t sum = static_cast<std::uint16_t>(~checksum);
  sum += static_cast<std::uint16_t>(~old_word);
  sum += new_word;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint16_t swapped(std::uint16_t v) {
  return static_cast<std::uint16_t>((v << 8) | (v >> 8));
}

}  // namespace

std::uint16_t mss_for_mtu(std::size_t mtu, IpAddress::Family family) {
  const std::size_t headers = family == IpAddress::Family::kV4 ? 40 : 60;
  if (mtu <= headers) return 0;
  return static_cast<std::uint16_t>(std::min<std::size_t>(mtu - headers, 0xffff));
}

bool clamp_tcp_mss(MutableByteView packet, std::uint16_t max_mss) {
  const auto segment = tcp_segment(packet);
  if (!segment || segment->length < kTcpHeader) return false;
  std::byte* tcp = packet.data() + segment->offset;
  if ((std::to_integer<std::uint8_t>(tcp[13]) & kSynFlag) == 0) return false;
  const std::size_t header = (std::to_integer<std::size_t>(tcp[12]) >> 4) * 4;
  if (header < kTcpHeader || header > segment->length) return false;
  for (std::size_t i = kTcpHeader; i < header;) {
    const std::uint8_t kind = std::to_integer<std::uint8_t>(tcp[i]);
    if (kind == kOptionEnd) return false;
    if (kind == kOptionNop) {
      ++i;
      continue;
    }
    if (i + 1 >= header) return false;
    const std::size_t length = std::to_integer<std::size_t>(tcp[i + 1]);
    if (length < 2 || i + length > header) return false;
    if (kind == kOptionMss && length == 4) {
      const std::uint16_t mss = load_be16(tcp + i + 2);
      if (mss <= max_mss) return false;
      store_be16(tcp + i + 2, max_mss);
      // The checksum sums 16-bit words from the TCP header's start: a value at an odd offset
      // straddles two words and counts byte-swapped.
      const bool odd = (i + 2) % 2 == 1;
      const std::uint16_t checksum = load_be16(tcp + 16);
      store_be16(tcp + 16, odd ? adjusted_checksum(checksum, swapped(mss), swapped(max_mss))
                               : adjusted_checksum(checksum, mss, max_mss));
      return true;
    }
    i += length;
  }
  return false;
}

bool clamp_tcp_mss_to_mtu(MutableByteView packet, std::size_t mtu) {
  if (packet.empty()) return false;
  const bool v4 = (std::to_integer<unsigned>(packet[0]) >> 4) == 4;
  return clamp_tcp_mss(packet,
                       mss_for_mtu(mtu, v4 ? IpAddress::Family::kV4 : IpAddress::Family::kV6));
}

}  // namespace tandem::packet
