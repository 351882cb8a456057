// IcmpEchoProber: its probes are echo requests of exactly the size asked, from our address to
// the target; a reply is matched to its probe by its tag, and nothing else is taken for one.
#include "hybrid/icmp_echo_prober.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "base/seeded_rng.hpp"
#include "packet/checksum.hpp"
#include "packet/icmp_echo.hpp"
#include "packet/ipv4_fragment.hpp"

namespace tandem::hybrid {
namespace {

using std::chrono::seconds;

const IpAddress kOurs = *IpAddress::parse("10.0.0.1");
const IpAddress kTarget = *IpAddress::parse("10.0.0.2");

MtuProberSettings settings() {
  MtuProberSettings s;
  s.search.base_mtu = 1280;
  s.search.max_mtu = 1420;
  return s;
}

// What the target sends back for `request`: the same identifier, sequence and data, from it.
std::vector<std::byte> reply_to(const std::vector<std::byte>& request, std::size_t size = 0) {
  const auto echo = packet::parse_icmp_echo(request);
  EXPECT_TRUE(echo);
  if (size == 0) size = echo->packet_size;
  std::vector<std::byte> reply(size);
  const auto data = echo->data.first(size - packet::icmp_echo_headers_size(kOurs.family()));
  EXPECT_EQ(packet::build_icmp_echo(reply, packet::IcmpEchoKind::kReply, echo->destination,
                                    echo->source, echo->identifier, echo->sequence, data, size),
            size);
  return reply;
}

class IcmpEchoProberTest : public ::testing::Test {
 protected:
  IcmpEchoProberTest() : echo(settings(), kOurs, kTarget, rng) {
    echo.prober().set_live(true, now);
  }
  // The probes due now, built.
  std::vector<std::vector<std::byte>> probes() {
    std::vector<PmtuSearch::Probe> due;
    echo.prober().poll(now, due);
    std::vector<std::vector<std::byte>> out;
    for (const auto& probe : due) {
      std::vector<std::byte> packet(2048);
      packet.resize(echo.build(probe, packet));
      EXPECT_EQ(packet.size(), probe.size);
      out.push_back(std::move(packet));
    }
    return out;
  }

  SeededRng rng{1};
  TimePoint now{seconds(100)};
  IcmpEchoProber echo;
};

TEST_F(IcmpEchoProberTest, AProbeIsAnEchoRequestOfExactlyItsSizeFromUsToTheTarget) {
  const auto first = probes();
  ASSERT_EQ(first.size(), 1u) << "the base size first";
  const auto parsed = packet::parse_icmp_echo(first[0]);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, packet::IcmpEchoKind::kRequest);
  EXPECT_EQ(parsed->source, kOurs);
  EXPECT_EQ(parsed->destination, kTarget);
  EXPECT_EQ(parsed->packet_size, 1280u);
  EXPECT_EQ(std::to_integer<int>(first[0][6]) & 0x40, 0x40) << "DF";
}

TEST_F(IcmpEchoProberTest, ARepliedProbeIsAcknowledgedAndTheSearchGoesOn) {
  const auto base = probes();
  ASSERT_TRUE(echo.take_reply(reply_to(base[0]), now));
  EXPECT_EQ(echo.prober().probes_acked(), 1u);
  EXPECT_EQ(echo.prober().search().state(), PmtuSearch::State::kSearching);
  const auto round = probes();
  ASSERT_GT(round.size(), 1u);
  for (const auto& probe : round) EXPECT_TRUE(echo.take_reply(reply_to(probe), now));
  EXPECT_EQ(echo.prober().held_mtu(), 1420u);
}

TEST_F(IcmpEchoProberTest, AnIpv6ProberSendsIcmpv6) {
  IcmpEchoProber v6(settings(), *IpAddress::parse("fd00::1"), *IpAddress::parse("fd00::2"), rng);
  v6.prober().set_live(true, now);
  std::vector<PmtuSearch::Probe> due;
  v6.prober().poll(now, due);
  ASSERT_EQ(due.size(), 1u);
  std::vector<std::byte> packet(2048);
  packet.resize(v6.build(due[0], packet));
  ASSERT_EQ(packet.size(), 1280u);
  EXPECT_EQ(std::to_integer<int>(packet[6]), 58);
  const auto parsed = packet::parse_icmp_echo(packet);
  ASSERT_TRUE(parsed);
  std::vector<std::byte> reply(1280);
  packet::build_icmp_echo(reply, packet::IcmpEchoKind::kReply, parsed->destination, parsed->source,
                          parsed->identifier, parsed->sequence, parsed->data, 1280);
  EXPECT_TRUE(v6.take_reply(reply, now));
  EXPECT_EQ(v6.prober().probes_acked(), 1u);
}

TEST_F(IcmpEchoProberTest, OrdinaryPingsAndEverythingElseAreLeftAlone) {
  const auto probe = probes()[0];
  const auto parsed = *packet::parse_icmp_echo(probe);
  std::vector<std::byte> other(1280);
  const std::vector<std::byte> zeros(16);
  // A ping of the host's own that happens to have our identifier: its data has no tag of ours.
  packet::build_icmp_echo(other, packet::IcmpEchoKind::kReply, kTarget, kOurs, parsed.identifier,
                          parsed.sequence, zeros, 1280);
  EXPECT_FALSE(echo.take_reply(other, now));
  // Our tag, but another identifier, or from another host, or a request, is not our reply.
  packet::build_icmp_echo(other, packet::IcmpEchoKind::kReply, kTarget, kOurs,
                          static_cast<std::uint16_t>(parsed.identifier + 1), parsed.sequence,
                          parsed.data, 1280);
  EXPECT_FALSE(echo.take_reply(other, now));
  packet::build_icmp_echo(other, packet::IcmpEchoKind::kReply, *IpAddress::parse("10.0.0.3"), kOurs,
                          parsed.identifier, parsed.sequence, parsed.data, 1280);
  EXPECT_FALSE(echo.take_reply(other, now));
  EXPECT_FALSE(echo.take_reply(probe, now)) << "the request itself";
  std::vector<std::byte> udp = probe;
  udp[9] = std::byte{17};
  EXPECT_FALSE(echo.take_reply(udp, now));
  EXPECT_EQ(echo.prober().probes_acked(), 0u);
}

TEST_F(IcmpEchoProberTest, AReplyCutShortIsOursButAcknowledgesNothing) {
  const auto probe = probes()[0];
  EXPECT_TRUE(echo.take_reply(reply_to(probe, 1000), now));
  EXPECT_EQ(echo.prober().probes_acked(), 0u);
  EXPECT_EQ(echo.prober().search().state(), PmtuSearch::State::kBase);
}

// A peer whose own device is smaller than the probe answers in fragments (its kernel may
// fragment an echo reply): the request arrived whole, so the probe counts, and every piece of
// the reply is taken out of the receive path.
TEST_F(IcmpEchoProberTest, AReplyInFragmentsAcknowledgesItsProbeAndEveryPieceIsTaken) {
  const auto base = probes();
  ASSERT_TRUE(echo.take_reply(reply_to(base[0]), now));
  auto round = probes();
  const auto& largest = round.back();
  ASSERT_EQ(largest.size(), 1420u);
  auto reply = reply_to(largest);
  store_be16(reply.data() + 4, 0x7777);  // identification
  store_be16(reply.data() + 6, 0);       // without DF, as a kernel answers
  store_be16(reply.data() + 10, 0);
  store_be16(reply.data() + 10, packet::internet_checksum(ByteView(reply).first(20)));
  std::array<std::array<std::byte, 2048>, 2> slots{};
  const std::array<MutableByteView, 2> out{MutableByteView(slots[0]), MutableByteView(slots[1])};
  std::array<std::size_t, 2> lengths{};
  ASSERT_EQ(packet::fragment_ipv4(reply, 1340, out, lengths), 2u);
  const auto acked = echo.prober().probes_acked();
  EXPECT_TRUE(echo.take_reply(ByteView(slots[0].data(), lengths[0]), now));
  EXPECT_EQ(echo.prober().probes_acked(), acked + 1);
  EXPECT_TRUE(echo.take_reply(ByteView(slots[1].data(), lengths[1]), now)) << "the rest too";
  EXPECT_EQ(echo.prober().held_mtu(), 1420u) << "the largest size arrived whole";

  // Another host's fragments, or pieces of another packet, are left alone.
  auto stranger = std::vector<std::byte>(slots[1].begin(), slots[1].begin() + lengths[1]);
  store_be16(stranger.data() + 4, 0x7778);
  store_be16(stranger.data() + 10, 0);
  store_be16(stranger.data() + 10, packet::internet_checksum(ByteView(stranger).first(20)));
  EXPECT_FALSE(echo.take_reply(stranger, now));
}

}  // namespace
}  // namespace tandem::hybrid
