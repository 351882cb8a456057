// RetransmitWatch: large segments sent again are seen, new ones and small ones are not.
#include "hybrid/retransmit_watch.hpp"

#include <gtest/gtest.h>

#include "packet/tcp_test_packets.hpp"

namespace tandem::hybrid {
namespace {

constexpr std::uint8_t kAck = 0x10;

// A TCP segment of `payload` bytes at `sequence`, from `from` port `port` to 10.0.0.2:443.
std::vector<std::byte> segment(std::uint32_t sequence, std::size_t payload,
                               const char* from = "10.0.0.1", std::uint16_t port = 40000) {
  const IpAddress source = *IpAddress::parse(from);
  const IpAddress destination = *IpAddress::parse(source.is_v4() ? "10.0.0.2" : "fd00::2");
  auto p = packet::testing::tcp_packet(source, destination, kAck, {}, payload);
  const std::size_t tcp = source.is_v4() ? 20 : 40;
  store_be16(p.data() + tcp, port);
  store_be32(p.data() + tcp + 4, sequence);
  return p;
}

TEST(RetransmitWatch, ALargeSegmentSentAgainIsSeen) {
  RetransmitWatch watch;
  EXPECT_FALSE(watch.on_outbound(segment(1000, 1360)));
  EXPECT_FALSE(watch.on_outbound(segment(2360, 1360)));
  EXPECT_FALSE(watch.on_outbound(segment(3720, 1360)));
  EXPECT_TRUE(watch.on_outbound(segment(1000, 1360))) << "the first one again";
  EXPECT_TRUE(watch.on_outbound(segment(2360, 1300))) << "part of the second, repacketised";
  EXPECT_FALSE(watch.on_outbound(segment(5080, 1360))) << "new data";
  EXPECT_EQ(watch.large_retransmits(), 2u);
}

TEST(RetransmitWatch, SmallPacketsAndOtherFlowsDoNotCount) {
  RetransmitWatch watch;
  EXPECT_FALSE(watch.on_outbound(segment(1000, 1360)));
  EXPECT_FALSE(watch.on_outbound(segment(1000, 200))) << "small: always carried, never counted";
  EXPECT_FALSE(watch.on_outbound(segment(1000, 1360, "10.0.0.1", 40001))) << "another flow";
  EXPECT_FALSE(watch.on_outbound(segment(1000, 0))) << "no data (a pure ACK)";
  EXPECT_EQ(watch.large_retransmits(), 0u);
}

// How many of `flows` flows (one port each), each sending two large segments and then the
// first again, `watch` sees retransmit.
std::size_t retransmits_seen(RetransmitWatch& watch, std::uint16_t flows) {
  std::size_t seen = 0;
  for (const std::uint32_t sequence : {1000u, 2360u, 1000u})
    for (std::uint16_t f = 0; f < flows; ++f)
      seen += watch.on_outbound(segment(sequence, 1360, "10.0.0.1", std::uint16_t(20000 + f)));
  return seen;
}

TEST(RetransmitWatch, ATableSizedForAGatewaysFlowsKeepsThemApart) {
  RetransmitWatch small;  // 256 slots: 2000 interleaved flows evict one another
  EXPECT_LT(retransmits_seen(small, 2000), 1000u);
  RetransmitWatch large(1280, 16384);
  EXPECT_GT(retransmits_seen(large, 2000), 1900u);
}

TEST(RetransmitWatch, TheSequenceSpaceWraps) {
  RetransmitWatch watch;
  EXPECT_FALSE(watch.on_outbound(segment(0xffffff00u, 1360)));
  EXPECT_FALSE(watch.on_outbound(segment(0xffffff00u + 1360, 1360))) << "past the wrap: new";
  EXPECT_TRUE(watch.on_outbound(segment(0xffffff00u, 1360)));
}

TEST(RetransmitWatch, Ipv6SegmentsAreWatchedToo) {
  RetransmitWatch watch;
  EXPECT_FALSE(watch.on_outbound(segment(7, 1340, "fd00::1")));
  EXPECT_TRUE(watch.on_outbound(segment(7, 1340, "fd00::1")));
}

TEST(RetransmitWatch, FragmentsAndTruncatedPacketsAreIgnored) {
  RetransmitWatch watch;
  auto fragment = segment(1000, 1360);
  store_be16(fragment.data() + 6, 0x2000);  // more fragments
  EXPECT_FALSE(watch.on_outbound(fragment));
  EXPECT_FALSE(watch.on_outbound(fragment));
  auto cut = segment(1000, 1360);
  cut.resize(1300);  // shorter than its header says
  EXPECT_FALSE(watch.on_outbound(cut));
  EXPECT_FALSE(watch.on_outbound(cut));
}

}  // namespace
}  // namespace tandem::hybrid
