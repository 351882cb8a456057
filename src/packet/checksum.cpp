// The Internet checksum (RFC 1071) and the pseudo-header sums of RFC 768 and RFC 8200 section
// 8.1 (UDP, ICMPv6).
#include "packet/checksum.hpp"

namespace tandem::packet {
namespace {

constexpr std::uint8_t kProtocolUdp = 17;

// Adds `bytes` as big-endian 16-bit words to `sum` without folding. A 64-bit accumulator cannot
// overflow for any buffer that fits in memory (each word adds less than 2^16), so the carries
// are folded once at the end, which RFC 1071 section 2 (B) allows because the sum is associative.
// Words are taken 32 bits at a time where they can be: 2^16 is 1 modulo 0xffff, so a 32-bit
// big-endian word adds the same as its two 16-bit halves once folded.
std::uint64_t add_words(std::uint64_t sum, const std::byte* p, std::size_t size) {
  std::size_t i = 0;
  for (; i + 3 < size; i += 4) sum += load_be32(p + i);
  for (; i + 1 < size; i += 2) sum += load_be16(p + i);
  if (i < size) sum += std::to_integer<std::uint64_t>(p[i]) << 8;  // odd byte, zero-padded
  return sum;
}

std::uint16_t fold_and_complement(std::uint64_t sum) {
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

}  // namespace

std::uint64_t checksum_add(std::uint64_t sum, ByteView bytes) {
  return add_words(sum, bytes.data(), bytes.size());
}

std::uint64_t pseudo_header_sum(ByteView ip, std::uint8_t protocol, std::size_t length) {
  const bool v4 = (std::to_integer<unsigned>(ip[0]) >> 4) == 4;
  const ByteView addresses = v4 ? ip.subspan(12, 8) : ip.subspan(8, 32);
  return checksum_add(protocol + (length >> 16) + (length & 0xffff), addresses);
}

std::uint16_t checksum_finish(std::uint64_t sum) {
  return fold_and_complement(sum);
}

std::uint16_t internet_checksum(ByteView bytes) {
  return fold_and_complement(add_words(0, bytes.data(), bytes.size()));
}

std::uint16_t pseudo_header_checksum(const IpAddress& source, const IpAddress& destination,
                                     std::uint8_t protocol, ByteView data) {
  // The IPv4 pseudo-header ends with zero, protocol, length as 16-bit fields; the IPv6 one with a
  // 32-bit length, three zero bytes and the next header. As 16-bit words both come to
  // length_high + length_low + protocol (length_high is 0 for IPv4), so one sum serves both.
  const auto length = static_cast<std::uint64_t>(data.size());
  std::uint64_t sum = protocol + (length >> 16) + (length & 0xffff);
  sum = add_words(sum, reinterpret_cast<const std::byte*>(source.data()), source.size());
  sum = add_words(sum, reinterpret_cast<const std::byte*>(destination.data()), destination.size());
  sum = add_words(sum, data.data(), data.size());
  return fold_and_complement(sum);
}

std::uint16_t udp_checksum(const IpAddress& source, const IpAddress& destination, ByteView udp) {
  const std::uint16_t checksum = pseudo_header_checksum(source, destination, kProtocolUdp, udp);
  // 0 on the wire means "no checksum" (RFC 768); a computed 0 is sent as its other one's-
  // complement form.
  return checksum == 0 ? 0xffff : checksum;
}

}  // namespace tandem::packet
