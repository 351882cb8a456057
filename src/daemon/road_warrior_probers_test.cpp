// RoadWarriorProbers with a fake clock: a gateway's probes to its road warriors cross a hop that
// drops inner packets over a size without a word, and each road warrior's host answers pings as
// a kernel does. What it must do: find the largest size towards each road warrior on its own,
// hold packets to and from it (and its subnets) to that, keep the configured MTU where its
// probing is off, find a hop that grew at the next search upwards, search again when the route
// to it moved, forget one whose last SA is gone, and take out only the replies to its probes.
#include "daemon/road_warrior_probers.hpp"

#include <gtest/gtest.h>

#include <map>

#include "base/seeded_rng.hpp"
#include "packet/icmp_echo.hpp"

namespace tandem::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const IpAddress kGateway = *IpAddress::parse("10.88.0.1");
const IpAddress kCarol = *IpAddress::parse("10.88.0.3");
const IpAddress kDave = *IpAddress::parse("10.88.0.4");
constexpr std::size_t kConfigured = 1400;

std::vector<std::byte> answer(ByteView request) {
  const auto echo = packet::parse_icmp_echo(request);
  EXPECT_TRUE(echo && echo->kind == packet::IcmpEchoKind::kRequest);
  if (!echo) return {};
  std::vector<std::byte> reply(echo->packet_size);
  packet::build_icmp_echo(reply, packet::IcmpEchoKind::kReply, echo->destination, echo->source,
                          echo->identifier, echo->sequence, echo->data, echo->packet_size);
  return reply;
}

RoadWarrior road_warrior(const IpAddress& inner, std::string account, bool probed = true) {
  RoadWarrior rw;
  rw.inner = inner;
  rw.reach = {IpPrefix(inner, 32)};
  rw.account = std::move(account);
  rw.underlay = *IpAddress::parse("192.168.89.2");
  rw.max_mtu = kConfigured;
  if (probed)
    rw.probe = {inner, kGateway, {}};
  else
    rw.probe = {std::nullopt, std::nullopt, "no mtu_probe_target for this account"};
  return rw;
}

class RoadWarriorProbersTest : public ::testing::Test {
 protected:
  RoadWarriorProbersTest() : rng(7), probers("hg0", rng) {
    probers.set_raise_interval(seconds(10));
  }

  // Runs the clock to `until`, waking at each deadline: probes that fit the hop towards their
  // road warrior are answered at once; the others vanish.
  void run_until(TimePoint until) {
    while (true) {
      const auto next = probers.next_deadline();
      if (!next || *next > until) break;
      now = std::max(now, *next);
      probes.clear();
      probers.poll(now, probes);
      for (const Packet& p : probes) {
        ASSERT_TRUE(p.mtu_probe);
        ++sent;
        const auto echo = packet::parse_icmp_echo(p.bytes());
        ASSERT_TRUE(echo);
        if (p.length > hop[echo->destination]) continue;
        EXPECT_TRUE(probers.take_reply(answer(p.bytes()), now));
      }
    }
    now = until;
  }

  SeededRng rng;
  RoadWarriorProbers probers;
  io::PacketBatch probes{64};
  TimePoint now{seconds(1000)};
  std::map<IpAddress, std::size_t> hop{{kCarol, 1338}, {kDave, 1300}};
  std::size_t sent = 0;
};

TEST_F(RoadWarriorProbersTest, FindsEachRoadWarriorsLargestSizeOnItsOwn) {
  probers.up(road_warrior(kCarol, "carol"), now);
  probers.up(road_warrior(kDave, "dave"), now);
  run_until(now + seconds(12));
  EXPECT_EQ(probers.held_mtu(kCarol), 1338u);
  EXPECT_EQ(probers.held_mtu(kDave), 1300u);
  const auto status = probers.status_json(kCarol);
  EXPECT_EQ(status["mtu"], 1338u);
  EXPECT_EQ(status["configured_mtu"], kConfigured);
  EXPECT_EQ(status["mtu_probe"]["probed"], 1338u);
  EXPECT_EQ(status["mtu_probe_target"], "10.88.0.3");
  EXPECT_TRUE(probers.status_json(*IpAddress::parse("10.88.0.9")).is_null());
}

TEST_F(RoadWarriorProbersTest, HoldsItsSubnetsAndOtherFamilyToo) {
  RoadWarrior carol = road_warrior(kCarol, "carol");
  carol.reach.push_back(*IpPrefix::parse("10.99.0.0/24"));
  carol.reach.push_back(*IpPrefix::parse("fd88::3/128"));
  probers.up(carol, now);
  run_until(now + seconds(12));
  EXPECT_EQ(probers.held_mtu(*IpAddress::parse("10.99.0.7")), 1338u);
  EXPECT_EQ(probers.held_mtu(*IpAddress::parse("fd88::3")), 1338u);
  EXPECT_EQ(probers.held_mtu(*IpAddress::parse("10.98.0.7")), std::nullopt);
}

TEST_F(RoadWarriorProbersTest, KeepsTheConfiguredMtuWhereProbingIsOff) {
  probers.up(road_warrior(kCarol, "carol", false), now);
  run_until(now + seconds(30));
  EXPECT_EQ(sent, 0u);
  EXPECT_EQ(probers.held_mtu(kCarol), std::nullopt);
  const auto status = probers.status_json(kCarol);
  EXPECT_EQ(status["mtu_probe"]["state"], "off");
  EXPECT_EQ(status["mtu_probe"]["reason"], "no mtu_probe_target for this account");
  EXPECT_EQ(status["mtu"], kConfigured);
  // Switched on by a reload: the search starts.
  probers.up(road_warrior(kCarol, "carol"), now);
  run_until(now + seconds(12));
  EXPECT_EQ(probers.held_mtu(kCarol), 1338u);
}

TEST_F(RoadWarriorProbersTest, FindsAGrownHopAtTheNextSearchUpwards) {
  probers.up(road_warrior(kCarol, "carol"), now);
  run_until(now + seconds(12));
  ASSERT_EQ(probers.held_mtu(kCarol), 1338u);
  hop[kCarol] = 1500;
  run_until(now + seconds(20));
  EXPECT_EQ(probers.held_mtu(kCarol), kConfigured);
}

TEST_F(RoadWarriorProbersTest, SearchesAgainWhenTheRouteToItMoved) {
  probers.up(road_warrior(kCarol, "carol"), now);
  run_until(now + seconds(12));
  ASSERT_EQ(probers.held_mtu(kCarol), 1338u);
  hop[kCarol] = 1290;
  probers.restart_moved([](const IpAddress&) { return std::optional<std::string>("via r2"); }, now);
  run_until(now + seconds(12));
  EXPECT_EQ(probers.held_mtu(kCarol), 1290u);
}

TEST_F(RoadWarriorProbersTest, ForgetsARoadWarriorWhoseLastSaIsGone) {
  probers.up(road_warrior(kCarol, "carol"), now);
  run_until(now + seconds(12));
  probers.down(kCarol);
  EXPECT_TRUE(probers.empty());
  EXPECT_EQ(probers.held_mtu(kCarol), std::nullopt);
  EXPECT_EQ(probers.next_deadline(), std::nullopt);
  EXPECT_TRUE(probers.status_json(kCarol).is_null());
}

TEST_F(RoadWarriorProbersTest, TakesOnlyRepliesToItsOwnProbes) {
  probers.up(road_warrior(kCarol, "carol"), now);
  std::vector<std::byte> ping(100);
  ASSERT_EQ(packet::build_icmp_echo(ping, packet::IcmpEchoKind::kRequest, kGateway, kCarol, 1, 1,
                                    {}, ping.size()),
            ping.size());
  EXPECT_FALSE(probers.take_reply(answer(ping), now)) << "an ordinary ping's reply";
  EXPECT_FALSE(probers.take_reply(ping, now));
}

TEST_F(RoadWarriorProbersTest, NothingIsSentBeforeTheEarliestDeadline) {
  // Hundreds up: a poll before the earliest deadline sends nothing.
  for (std::uint32_t i = 0; i < 300; ++i) {
    RoadWarrior rw = road_warrior(IpAddress::v4_from_u32(0x0a580100 + i), "u");
    rw.probe.target = rw.inner;
    probers.up(rw, now);
  }
  run_until(now + seconds(12));
  const TimePoint next = *probers.next_deadline();
  probes.clear();
  probers.poll(next - milliseconds(1), probes);
  EXPECT_TRUE(probes.empty()) << "nothing is due before the earliest deadline";
}

}  // namespace
}  // namespace tandem::daemon
