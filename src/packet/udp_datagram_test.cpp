#include "packet/udp_datagram.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

namespace tandem::packet {
namespace {

Endpoint ep(const char* address, std::uint16_t port) {
  return {*IpAddress::parse(address), port};
}

// A datagram with `payload_size` bytes of 0x5a after the headers, built in a buffer of `room`.
std::vector<std::byte> build(const Endpoint& from, const Endpoint& to, std::size_t payload_size,
                             std::size_t room = 2048) {
  std::vector<std::byte> out(room);
  const std::size_t headers = udp_headers_size(from.address.family());
  std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(headers), payload_size, std::byte{0x5a});
  out.resize(write_udp_headers(out, from, to, payload_size));
  return out;
}

TEST(UdpDatagram, AnIpv4DatagramRoundTripsWithDfAndChecksums) {
  const auto packet = build(ep("10.0.0.5", 51820), ep("10.0.0.1", 4500), 100);
  ASSERT_EQ(packet.size(), 20u + 8u + 100u);
  EXPECT_EQ(std::to_integer<int>(packet[6]) & 0x40, 0x40);  // DF
  const auto d = parse_udp_datagram(packet);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, ep("10.0.0.5", 51820));
  EXPECT_EQ(d->destination, ep("10.0.0.1", 4500));
  ASSERT_EQ(d->payload.size(), 100u);
  EXPECT_EQ(d->payload[99], std::byte{0x5a});
  EXPECT_TRUE(udp_checksum_holds(*d));
}

TEST(UdpDatagram, AFragmentableIpv4DatagramHasNoDfAndTheGivenIdentification) {
  std::vector<std::byte> out(2048);
  const std::size_t n =
      write_udp_headers(out, ep("10.0.0.5", 51820), ep("10.0.0.1", 4500), 100, 0x1234);
  ASSERT_EQ(n, 20u + 8u + 100u);
  out.resize(n);
  EXPECT_EQ(std::to_integer<int>(out[6]) & 0x40, 0);  // no DF
  EXPECT_EQ(load_be16(out.data() + 4), 0x1234);
  const auto d = parse_udp_datagram(out);  // the header checksum covers the identification
  ASSERT_TRUE(d);
  EXPECT_TRUE(udp_checksum_holds(*d));
}

TEST(UdpDatagram, AnIpv6DatagramRoundTrips) {
  const auto packet = build(ep("fd00::5", 1701), ep("fd00::1", 500), 33);
  ASSERT_EQ(packet.size(), 40u + 8u + 33u);
  const auto d = parse_udp_datagram(packet);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, ep("fd00::5", 1701));
  EXPECT_EQ(d->destination, ep("fd00::1", 500));
  EXPECT_EQ(d->payload.size(), 33u);
  EXPECT_TRUE(udp_checksum_holds(*d));
}

TEST(UdpDatagram, ACorruptedPayloadFailsTheChecksum) {
  auto packet = build(ep("10.0.0.5", 1), ep("10.0.0.1", 2), 64);
  packet.back() = std::byte{0x00};
  const auto d = parse_udp_datagram(packet);
  ASSERT_TRUE(d);
  EXPECT_FALSE(udp_checksum_holds(*d));
}

TEST(UdpDatagram, BuildingRefusesMixedFamiliesAndTooSmallBuffers) {
  std::array<std::byte, 64> out{};
  EXPECT_EQ(write_udp_headers(out, ep("10.0.0.5", 1), ep("fd00::1", 2), 8), 0u);
  EXPECT_EQ(write_udp_headers(out, ep("10.0.0.5", 1), ep("10.0.0.1", 2), 37), 0u);  // 65 > 64
  EXPECT_EQ(write_udp_headers(out, ep("10.0.0.5", 1), ep("10.0.0.1", 2), 36), 64u);
}

TEST(UdpDatagram, FragmentsOtherProtocolsAndBadHeadersAreNotDatagrams) {
  const auto packet = build(ep("10.0.0.5", 1), ep("10.0.0.1", 2), 40);
  auto fragment = packet;
  fragment[6] = std::byte{0x20};  // MF
  EXPECT_FALSE(parse_udp_datagram(fragment));
  auto tcp = packet;
  tcp[9] = std::byte{6};
  EXPECT_FALSE(parse_udp_datagram(tcp));
  auto bad_header_checksum = packet;
  bad_header_checksum[8] = std::byte{1};  // TTL changed, checksum not
  EXPECT_FALSE(parse_udp_datagram(bad_header_checksum));
  auto short_udp_length = packet;
  store_be16(short_udp_length.data() + 24, 20);
  EXPECT_FALSE(parse_udp_datagram(short_udp_length));
  EXPECT_FALSE(parse_udp_datagram(ByteView(packet).first(27)));
}

}  // namespace
}  // namespace tandem::packet
