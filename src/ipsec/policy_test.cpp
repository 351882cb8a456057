// The policy check: which decrypted traffic an SA accepts (L2TP/IPsec transport selectors, site
// subnets in tunnel mode) and which inner packets pick a tunnel SA outbound.
#include "ipsec/policy.hpp"

#include <gtest/gtest.h>

#include "base/test_bytes.hpp"

namespace tandem::ipsec {
namespace {

using testing::bytes;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

ike::Selector host_udp(const char* address, std::uint16_t port) {
  return {ip(address), ip(address), 17, port, port};
}

ike::Selector subnet(const char* first, const char* last) {
  return {ip(first), ip(last), 0, 0, 65535};
}

// An IPv4 packet with a UDP header (ports only; lengths and checksums do not matter here).
std::vector<std::byte> ipv4_udp(std::array<int, 4> src, std::array<int, 4> dst, int sport,
                                int dport, int protocol = 17, int fragment_offset = 0) {
  return bytes({0x45,
                0,
                0,
                28,
                0,
                0,
                fragment_offset >> 8,
                fragment_offset & 0xff,
                64,
                protocol,
                0,
                0,
                src[0],
                src[1],
                src[2],
                src[3],
                dst[0],
                dst[1],
                dst[2],
                dst[3],
                sport >> 8,
                sport & 0xff,
                dport >> 8,
                dport & 0xff,
                0,
                8,
                0,
                0});
}

TEST(Policy, TransportModeTakesOnlyTheNegotiatedProtocolAndPorts) {
  const std::vector<ike::Selector> local{host_udp("192.0.2.1", 1701)};
  const std::vector<ike::Selector> remote{host_udp("10.0.0.5", 1701)};
  const auto l2tp = bytes({0x06, 0xa5, 0x06, 0xa5, 0, 8, 0, 0});
  EXPECT_TRUE(transport_inbound_allowed(local, remote, 17, l2tp));
  // Another destination port, another source port, TCP, or a truncated header: refused.
  EXPECT_FALSE(
      transport_inbound_allowed(local, remote, 17, bytes({0x06, 0xa5, 0, 53, 0, 8, 0, 0})));
  EXPECT_FALSE(
      transport_inbound_allowed(local, remote, 17, bytes({0x30, 0x39, 0x06, 0xa5, 0, 8, 0, 0})));
  EXPECT_FALSE(transport_inbound_allowed(local, remote, 6, l2tp));
  EXPECT_FALSE(transport_inbound_allowed(local, remote, 17, bytes({0x06, 0xa5, 0x06})));
}

TEST(Policy, TransportSelectorsWithAnyPortTakeEveryPortOfTheirProtocol) {
  const std::vector<ike::Selector> local{{ip("192.0.2.1"), ip("192.0.2.1"), 17, 0, 65535}};
  const std::vector<ike::Selector> remote{{ip("10.0.0.5"), ip("10.0.0.5"), 17, 0, 65535}};
  EXPECT_TRUE(transport_inbound_allowed(local, remote, 17, bytes({0x30, 0x39, 0, 53, 0, 8, 0, 0})));
  EXPECT_FALSE(transport_inbound_allowed(local, remote, 1, bytes({8, 0, 0, 0})));
}

TEST(Policy, TunnelModeChecksTheInnerAddressesAgainstEachSide) {
  const std::vector<ike::Selector> local{subnet("10.1.0.0", "10.1.0.255")};
  const std::vector<ike::Selector> remote{subnet("10.2.0.0", "10.2.0.255")};
  EXPECT_TRUE(
      tunnel_inbound_allowed(local, remote, ipv4_udp({10, 2, 0, 9}, {10, 1, 0, 7}, 5000, 53)));
  // From outside the peer's subnet, to outside ours, or the directions swapped: refused.
  EXPECT_FALSE(
      tunnel_inbound_allowed(local, remote, ipv4_udp({10, 3, 0, 9}, {10, 1, 0, 7}, 5000, 53)));
  EXPECT_FALSE(
      tunnel_inbound_allowed(local, remote, ipv4_udp({10, 2, 0, 9}, {10, 1, 1, 7}, 5000, 53)));
  EXPECT_FALSE(
      tunnel_inbound_allowed(local, remote, ipv4_udp({10, 1, 0, 7}, {10, 2, 0, 9}, 5000, 53)));
  // Not an IP packet at all.
  EXPECT_FALSE(tunnel_inbound_allowed(local, remote, bytes({0x45, 0, 0})));
}

TEST(Policy, NarrowedSelectorsCheckProtocolAndPortsOfInnerPackets) {
  const std::vector<ike::Selector> local{{ip("10.1.0.0"), ip("10.1.0.255"), 17, 53, 53}};
  const std::vector<ike::Selector> remote{{ip("10.2.0.0"), ip("10.2.0.255"), 17, 0, 65535}};
  EXPECT_TRUE(
      tunnel_inbound_allowed(local, remote, ipv4_udp({10, 2, 0, 9}, {10, 1, 0, 7}, 5000, 53)));
  EXPECT_FALSE(
      tunnel_inbound_allowed(local, remote, ipv4_udp({10, 2, 0, 9}, {10, 1, 0, 7}, 5000, 54)));
  EXPECT_FALSE(
      tunnel_inbound_allowed(local, remote, ipv4_udp({10, 2, 0, 9}, {10, 1, 0, 7}, 5000, 53, 6)));
  // A later fragment has no ports, so a port-narrowed selector cannot take it.
  EXPECT_FALSE(tunnel_inbound_allowed(local, remote,
                                      ipv4_udp({10, 2, 0, 9}, {10, 1, 0, 7}, 5000, 53, 17, 0x20)));
}

TEST(Policy, FlowOfAPacketAndOutboundMatching) {
  const auto flow = flow_of_ip_packet(ipv4_udp({10, 1, 0, 7}, {10, 2, 0, 9}, 4000, 443));
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->source, ip("10.1.0.7"));
  EXPECT_EQ(flow->destination, ip("10.2.0.9"));
  EXPECT_EQ(flow->protocol, 17);
  EXPECT_EQ(flow->source_port, 4000);
  EXPECT_EQ(flow->destination_port, 443);
  const std::vector<ike::Selector> local{subnet("10.1.0.0", "10.1.0.255")};
  const std::vector<ike::Selector> remote{subnet("10.2.0.0", "10.2.0.255")};
  EXPECT_TRUE(tunnel_outbound_matches(local, remote, *flow));
  EXPECT_FALSE(tunnel_outbound_matches(remote, local, *flow));
  // IPv6 never matches IPv4 selectors.
  FlowKey v6{ip("fd00::1"), ip("fd00::2"), 17, 1, 2};
  EXPECT_FALSE(tunnel_outbound_matches(local, remote, v6));
}

}  // namespace
}  // namespace tandem::ipsec
