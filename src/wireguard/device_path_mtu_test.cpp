// The underlay's path MTU per peer: a too-big report holds the peer's packets to the path (the
// padded datagram included), SYNs both ways ask for no more, and the report is forgotten when
// the endpoint moves or its lifetime ends.
#include <gtest/gtest.h>

#include "base/bytes.hpp"
#include "wireguard/device.hpp"
#include "wireguard/test_network.hpp"

namespace tandem::wireguard {
namespace {

using testing::ipv4_packet;
using testing::Node;
using testing::TestNetwork;
using Kind = DeviceEvent::Kind;

// A TCP SYN from src to dst whose MSS option asks for `mss`.
std::vector<std::byte> tcp_syn(const std::string& src, const std::string& dst, std::uint16_t mss) {
  auto p = ipv4_packet(src, dst, 24, 0);
  p[9] = std::byte{6};
  std::byte* tcp = p.data() + 20;
  store_be16(tcp, 40000);
  store_be16(tcp + 2, 5201);
  tcp[12] = std::byte{6 << 4};  // data offset: 24 bytes
  tcp[13] = std::byte{0x02};    // SYN
  tcp[20] = std::byte{2};       // MSS option
  tcp[21] = std::byte{4};
  store_be16(tcp + 22, mss);
  return p;
}

std::uint16_t syn_mss(const std::vector<std::byte>& p) {
  return load_be16(p.data() + 20 + 22);
}

class PathMtu : public ::testing::Test {
 protected:
  PathMtu() : a(net.add_node("a", "127.0.1.1:51820")), b(net.add_node("b", "127.0.1.2:51821")) {
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32");
    a.device.set_mtu(1440);
    b.device.set_mtu(1440);
    a.send_inner(ipv4_packet("10.0.0.1", "10.0.0.2", 10));  // the handshake
    net.pump();
  }
  const Peer& a_peer() { return *a.device.peer(*a.device.find_peer(b.public_key)); }
  // The send path's verdict for an inner packet of `total` bytes from a to b.
  SendVerdict prepare(std::size_t total, SealJob& job) {
    load(ipv4_packet("10.0.0.1", "10.0.0.2", total - 20));
    return a.device.prepare_send(packet, net.now, job, a);
  }
  // `packet` becomes `p`, in a slot with room around it.
  void load(std::vector<std::byte> p) {
    inner = std::move(p);
    slot.assign(2048 + 64, std::byte{0});
    std::copy(inner.begin(), inner.end(), slot.begin() + 64);
    packet = Packet{};
    packet.slot = slot.data();
    packet.slot_size = slot.size();
    packet.offset = 64;
    packet.length = inner.size();
  }

  TestNetwork net;
  Node& a;
  Node& b;
  std::vector<std::byte> inner, slot;
  Packet packet;
};

TEST_F(PathMtu, ReportHoldsThePeersPacketsToThePath) {
  // 1280 on the path less IPv4 20, UDP 8, WireGuard 32.
  a.device.on_path_too_big(b.address, 1280, net.now, a);
  ASSERT_EQ(a.count_events(Kind::kPathMtuLowered), 1);
  const DeviceEvent& e = a.events.back();
  EXPECT_EQ(e.path_mtu, 1280u);
  EXPECT_EQ(e.inner_mtu, 1220u);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1220u);

  SealJob job;
  EXPECT_EQ(prepare(1221, job), SendVerdict::kTooBig);
  EXPECT_EQ(job.mtu, 1220u);
  // Exactly the MTU is sealed, and its padding stays within it: the datagram fits the path.
  ASSERT_EQ(prepare(1220, job), SendVerdict::kSeal);
  Device::seal(packet, job);
  EXPECT_LE(packet.length + 20 + 8, 1280u);
  EXPECT_EQ(packet.length, 1220u + 32);
}

TEST_F(PathMtu, ReportAboveTheDeviceMtuChangesNothingVisible) {
  a.device.on_path_too_big(b.address, 1500, net.now, a);
  EXPECT_EQ(a.count_events(Kind::kPathMtuLowered), 0);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1440u);
}

TEST_F(PathMtu, OnlyLowerReportsCountAndRepeatsAreQuiet) {
  a.device.on_path_too_big(b.address, 1400, net.now, a);
  a.device.on_path_too_big(b.address, 1400, net.now, a);
  a.device.on_path_too_big(b.address, 1450, net.now, a);  // never raised by a report
  EXPECT_EQ(a.count_events(Kind::kPathMtuLowered), 1);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1340u);
  a.device.on_path_too_big(b.address, 1300, net.now, a);
  EXPECT_EQ(a.count_events(Kind::kPathMtuLowered), 2);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1240u);
}

TEST_F(PathMtu, ReportForAnotherAddressIsIgnored) {
  a.device.on_path_too_big(*Endpoint::parse("127.0.9.9:51821"), 1280, net.now, a);
  EXPECT_EQ(a.count_events(Kind::kPathMtuLowered), 0);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1440u);
}

TEST_F(PathMtu, ReportWithoutAPortStillMatchesTheAddress) {
  // This host's own IPv4 refusal names no port.
  a.device.on_path_too_big(*Endpoint::parse("127.0.1.2:0"), 1280, net.now, a);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1220u);
}

TEST_F(PathMtu, AbsurdlySmallReportCountsAsTheFloor) {
  a.device.on_path_too_big(b.address, 68, net.now, a);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 552u - 60);
}

TEST_F(PathMtu, SynsBothWaysAskForNoMoreThanThePathCarries) {
  a.device.on_path_too_big(b.address, 1280, net.now, a);
  a.send_inner(tcp_syn("10.0.0.1", "10.0.0.2", 1460));
  net.pump();
  ASSERT_FALSE(b.delivered.empty());
  EXPECT_EQ(syn_mss(b.delivered.back()), 1220 - 40);
  // The answer from b comes out of a's device clamped too.
  b.send_inner(tcp_syn("10.0.0.2", "10.0.0.1", 1400));
  net.pump();
  ASSERT_FALSE(a.delivered.empty());
  EXPECT_EQ(syn_mss(a.delivered.back()), 1220 - 40);
}

TEST_F(PathMtu, ForgottenAfterItsLifetime) {
  a.device.on_path_too_big(b.address, 1280, net.now, a);
  net.advance(kPathMtuLifetime - std::chrono::seconds(1));
  SealJob job;
  EXPECT_EQ(prepare(1300, job), SendVerdict::kTooBig);
  net.advance(std::chrono::seconds(2));
  EXPECT_NE(prepare(1300, job), SendVerdict::kTooBig);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1440u);
}

TEST_F(PathMtu, ForgottenWhenTheEndpointMoves) {
  a.device.on_path_too_big(b.address, 1280, net.now, a);
  a.device.set_endpoint(*a.device.find_peer(b.public_key), *Endpoint::parse("127.0.9.9:4000"));
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1440u);
}

TEST_F(PathMtu, ProbedMtuHoldsThePeerAndTheLowerOfProbeAndReportWins) {
  const PeerId id = *a.device.find_peer(b.public_key);
  a.device.set_probed_mtu(id, 1333);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1333u);
  SealJob job;
  EXPECT_EQ(prepare(1334, job), SendVerdict::kTooBig);
  EXPECT_EQ(job.mtu, 1333u);
  // Padding stops at the probed size, so the datagram is no larger than the probe that arrived.
  ASSERT_EQ(prepare(1330, job), SendVerdict::kSeal);
  Device::seal(packet, job);
  EXPECT_EQ(packet.length, 1333u + 32);
  a.device.on_path_too_big(b.address, 1300, net.now, a);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1240u);
  a.device.set_probed_mtu(id, 1200);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1200u);
  a.device.set_probed_mtu(id, std::nullopt);
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1240u);
  a.device.set_probed_mtu(id, 1500);  // never above the device MTU
  a.device.set_endpoint(id, *Endpoint::parse("127.0.9.9:4000"));
  EXPECT_EQ(a.device.inner_mtu(a_peer()), 1440u);
}

TEST_F(PathMtu, AnMtuProbeIsSealedAtItsOwnSizeAndPassesWhatProbesFound) {
  SealJob job;
  ASSERT_EQ(prepare(1301, job), SendVerdict::kSeal);
  EXPECT_EQ(job.padded_length, 1312u) << "ordinary packets are padded to a multiple of 16";
  packet.mtu_probe = true;
  ASSERT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kSeal);
  EXPECT_EQ(job.padded_length, 1301u);
  Device::seal(packet, job);
  EXPECT_EQ(packet.length, 1301u + 32);
  // Held to 1300 by probes, a probe of 1400 still goes (it tests whether the path grew); held
  // by ICMP to less, it does not.
  a.device.set_probed_mtu(*a.device.find_peer(b.public_key), 1300);
  EXPECT_EQ(prepare(1400, job), SendVerdict::kTooBig);
  packet.mtu_probe = true;
  EXPECT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kSeal);
  // Nor is it held to our device MTU: the far end's may be larger, and the path is what counts.
  EXPECT_EQ(prepare(1500, job), SendVerdict::kTooBig);
  packet.mtu_probe = true;
  EXPECT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kSeal);
  a.device.on_path_too_big(b.address, 1400, net.now, a);
  ASSERT_EQ(prepare(1400, job), SendVerdict::kTooBig);
  packet.mtu_probe = true;
  EXPECT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kTooBig);
}

// The far end's probe, answered: held to its own size, not to what our probes found, and not
// padded past it.
TEST_F(PathMtu, AnEchoReplyGoesAtItsExactSizeBeyondWhatProbesFound) {
  a.device.set_probed_mtu(*a.device.find_peer(b.public_key), 1333);
  SealJob job;
  ASSERT_EQ(prepare(1400, job), SendVerdict::kTooBig);
  packet.length = inner.size();
  packet.bytes()[6] = packet.bytes()[7] = std::byte{0};  // no fragment
  packet.bytes()[9] = std::byte{1};                      // ICMP
  packet.bytes()[20] = std::byte{0};                     // echo reply
  ASSERT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kSeal);
  EXPECT_EQ(job.padded_length, 1400u);
  packet.bytes()[20] = std::byte{8};  // an echo request is data like any other
  EXPECT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kTooBig);
}

TEST_F(PathMtu, OnlyDataCountsAsDataSent) {
  const std::uint64_t before = a_peer().data_packets_sent;
  SealJob job;
  ASSERT_EQ(prepare(500, job), SendVerdict::kSeal);
  EXPECT_EQ(a_peer().data_packets_sent, before + 1);
  ASSERT_EQ(prepare(500, job), SendVerdict::kSeal);
  packet.mtu_probe = true;
  ASSERT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kSeal);
  EXPECT_EQ(a_peer().data_packets_sent, before + 2) << "a probe is no data";
}

TEST_F(PathMtu, AProbeWithoutASessionIsDroppedNotHeldForAHandshake) {
  Node& c = net.add_node("c", "127.0.1.3:51822");
  net.connect(a, "10.0.0.1/32", c, "10.0.0.3/32");
  load(ipv4_packet("10.0.0.1", "10.0.0.3", 1280));
  packet.mtu_probe = true;
  const int initiations = a.sent_initiations;
  SealJob job;
  EXPECT_EQ(a.device.prepare_send(packet, net.now, job, a), SendVerdict::kDropped);
  EXPECT_EQ(a.device.drops(DropReason::kNoSession), 1u);
  EXPECT_EQ(a.sent_initiations, initiations);
}

}  // namespace
}  // namespace tandem::wireguard
