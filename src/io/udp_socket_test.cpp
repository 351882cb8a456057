#include "io/udp_socket.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <string>

#include "io/netns_fixture.hpp"
#include "io/udp_transport.hpp"

namespace tandem::io {
namespace {

std::string payload(std::size_t i) {
  return "datagram-" + std::to_string(i);
}

// Collects `want` datagrams, waiting up to a second in total for them to arrive.
std::vector<std::pair<Endpoint, std::string>> receive(UdpSocket& s, std::size_t want) {
  std::vector<std::pair<Endpoint, std::string>> got;
  PacketBatch batch;
  for (int rounds = 0; got.size() < want && rounds < 100; ++rounds) {
    pollfd p{s.fd(), POLLIN, 0};
    ::poll(&p, 1, 10);
    auto n = s.recv_batch(batch);
    EXPECT_TRUE(n.ok());
    if (!n) break;
    for (const Packet& pk : batch)
      got.emplace_back(pk.endpoint,
                       std::string(reinterpret_cast<const char*>(pk.bytes().data()), pk.length));
  }
  return got;
}

void roundtrip_32(IpAddress loopback) {
  auto receiver = UdpSocket::bind(loopback.family(), 0);
  auto sender = UdpSocket::bind(loopback.family(), 0);
  ASSERT_TRUE(receiver.ok()) << receiver.error();
  ASSERT_TRUE(sender.ok()) << sender.error();
  ASSERT_NE(receiver->port(), 0);

  PacketBatch out;
  for (std::size_t i = 0; i < 32; ++i)
    out.push_back(as_bytes(payload(i)), Endpoint{loopback, receiver->port()});
  const SendResult sent = sender->send_batch(out);
  EXPECT_EQ(sent.sent, 32u);
  EXPECT_EQ(sent.failed, 0u);

  const auto got = receive(*receiver, 32);
  ASSERT_EQ(got.size(), 32u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, (Endpoint{loopback, sender->port()}));
    EXPECT_EQ(got[i].second, payload(i));
  }
}

TEST(UdpSocket, RoundTripsBatchOf32OnIpv4Loopback) {
  roundtrip_32(*IpAddress::parse("127.0.0.1"));
}

TEST(UdpSocket, RoundTripsBatchOf32OnIpv6Loopback) {
  roundtrip_32(*IpAddress::parse("::1"));
}

TEST(UdpSocket, RecvBatchReturnsZeroWhenNothingIsWaiting) {
  auto s = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(s.ok());
  PacketBatch batch;
  auto n = s->recv_batch(batch);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(batch.empty());
}

TEST(UdpSocket, ReceivedPacketsStartAtHeadroomWithTailroomLeft) {
  auto s = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->send(as_bytes("abc"), Endpoint{*IpAddress::parse("127.0.0.1"), s->port()}).ok());
  PacketBatch batch(4, 256, 32);
  pollfd p{s->fd(), POLLIN, 0};
  ::poll(&p, 1, 1000);
  auto n = s->recv_batch(batch);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(batch[0].offset, 32u);
  EXPECT_EQ(batch[0].length, 3u);
  EXPECT_EQ(batch[0].room().size(), 224u);
}

TEST(UdpSocket, ASlotOpenedInPlaceOffersItsWholeRoomToTheNextReceive) {
  // The previous batch's packet was decrypted in place (its offset moved past a header); the next
  // read must still take a datagram as large as the slot allows.
  auto s = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(s.ok());
  const Endpoint self{*IpAddress::parse("127.0.0.1"), s->port()};
  PacketBatch batch(1, 256, 32);
  pollfd p{s->fd(), POLLIN, 0};
  ASSERT_TRUE(s->send(as_bytes("first"), self).ok());
  ::poll(&p, 1, 1000);
  ASSERT_EQ(*s->recv_batch(batch), 1u);
  batch[0].set_range(batch[0].offset + 200, 0);
  ASSERT_TRUE(s->send(as_bytes(std::string(220, 'b')), self).ok());
  ::poll(&p, 1, 1000);
  auto n = s->recv_batch(batch);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(batch[0].offset, 32u);
  EXPECT_EQ(batch[0].length, 220u);
}

TEST(UdpSocket, RawIpv4SocketsStripTheIpHeader) {
  // Protocol 253 is set aside for experiments (RFC 3692): nothing else on loopback uses it.
  auto rx = UdpSocket::raw_ipv4(253);
  ASSERT_TRUE(rx.ok()) << rx.error();
  auto tx = UdpSocket::raw_ipv4(253);
  ASSERT_TRUE(tx.ok()) << tx.error();
  EXPECT_TRUE(rx->raw());
  ASSERT_TRUE(
      tx->send(as_bytes("an ESP-like payload"), Endpoint{*IpAddress::parse("127.0.0.1"), 0}).ok());
  PacketBatch batch(4, 256, 32);
  pollfd p{rx->fd(), POLLIN, 0};
  ::poll(&p, 1, 1000);
  auto n = rx->recv_batch(batch);
  ASSERT_TRUE(n.ok());
  ASSERT_GE(*n, 1u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(batch[0].bytes().data()), batch[0].length),
            "an ESP-like payload");
  EXPECT_EQ(batch[0].endpoint.address, *IpAddress::parse("127.0.0.1"));
}

TEST(UdpSocket, DropsDatagramsLargerThanSlot) {
  auto s = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(s.ok());
  const Endpoint self{*IpAddress::parse("127.0.0.1"), s->port()};
  ASSERT_TRUE(s->send(as_bytes(std::string(500, 'a')), self).ok());
  ASSERT_TRUE(s->send(as_bytes("small"), self).ok());
  PacketBatch batch(8, 128, 16);
  pollfd p{s->fd(), POLLIN, 0};
  ::poll(&p, 1, 1000);
  auto n = s->recv_batch(batch);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(batch[0].length, 5u);
}

// Runs of equal-sized datagrams to one destination (one GSO message each), broken by a shorter
// last datagram and by a change of destination; `gso` off sends the same a message per datagram.
void sends_runs_apart(bool gso) {
  const auto loopback = *IpAddress::parse("127.0.0.1");
  auto a = UdpSocket::bind(IpAddress::Family::kV4, 0);
  auto b = UdpSocket::bind(IpAddress::Family::kV4, 0);
  auto sender = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(a.ok() && b.ok() && sender.ok());
  sender->set_gso(gso);
  PacketBatch out;
  std::vector<std::string> to_a, to_b;
  const auto add = [&](std::vector<std::string>& list, UdpSocket& to, std::size_t size) {
    std::string d(size, static_cast<char>('a' + out.size() % 26));
    d.replace(0, 4, std::to_string(1000 + out.size()));
    list.push_back(d);
    out.push_back(as_bytes(d), Endpoint{loopback, to.port()});
  };
  for (int i = 0; i < 40; ++i) add(to_a, *a, 1200);
  add(to_a, *a, 500);  // ends the run
  for (int i = 0; i < 5; ++i) add(to_a, *a, 1200);
  for (int i = 0; i < 3; ++i) add(to_b, *b, 1200);
  add(to_a, *a, 1200);
  const SendResult sent = sender->send_batch(out);
  EXPECT_EQ(sent.sent, out.size());
  EXPECT_EQ(sent.failed, 0u);
  EXPECT_EQ(sender->gso(), gso);
  for (auto [socket, want] : {std::pair(&*a, &to_a), std::pair(&*b, &to_b)}) {
    const auto got = receive(*socket, want->size());
    ASSERT_EQ(got.size(), want->size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].second, (*want)[i]);
  }
}

TEST(UdpSocket, SendsRunsAsGsoMessagesThatArriveAsSeparateDatagrams) {
  sends_runs_apart(true);
}

TEST(UdpSocket, SendsTheSameWithGsoOff) {
  sends_runs_apart(false);
}

TEST(UdpSocket, WithGroACoalescedReceiveIsCutIntoItsDatagrams) {
  const auto loopback = *IpAddress::parse("::1");
  auto receiver = UdpSocket::bind(IpAddress::Family::kV6, 0);
  auto sender = UdpSocket::bind(IpAddress::Family::kV6, 0);
  ASSERT_TRUE(receiver.ok() && sender.ok());
  ASSERT_TRUE(receiver->enable_gro().ok());
  PacketBatch out;
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < 30; ++i) {
    sent.push_back(std::string(i == 29 ? 300 : 1000, static_cast<char>('A' + i % 26)));
    out.push_back(as_bytes(sent.back()), Endpoint{loopback, receiver->port()});
  }
  ASSERT_EQ(sender->send_batch(out).sent, 30u);
  const auto got = receive(*receiver, 30);
  ASSERT_EQ(got.size(), 30u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].second, sent[i]);
    EXPECT_EQ(got[i].first, (Endpoint{loopback, sender->port()}));
  }
}

using UdpSocketNetnsTest = testing::NetnsTest;

TEST_F(UdpSocketNetnsTest, ARefusedGsoRunIsCountedDatagramByDatagram) {
  ASSERT_EQ(std::system("ip link add v0 mtu 1280 type veth peer name v1 && ip link set v1 up && "
                        "ip link set v0 up && ip addr add 10.78.0.1/24 dev v0"),
            0);
  auto s = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->enable_path_mtu_discovery().ok());
  PacketBatch out;
  const Endpoint far{*IpAddress::parse("10.78.0.2"), 9};
  for (int i = 0; i < 3; ++i) out.push_back(as_bytes(std::string(1300, 'x')), far);  // too big
  for (int i = 0; i < 2; ++i) out.push_back(as_bytes(std::string(100, 'y')), far);
  const SendResult r = s->send_batch(out);
  EXPECT_EQ(r.failed, 3u);
  EXPECT_EQ(r.sent, 2u);
  EXPECT_NE(r.first_error, 0);
  EXPECT_TRUE(s->gso()) << "a datagram too big says nothing about GSO support";
}

TEST(UdpSocket, BindingATakenPortFails) {
  auto a = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(a.ok());
  auto b = UdpSocket::bind(IpAddress::Family::kV4, a->port());
  EXPECT_FALSE(b.ok());
}

TEST(UdpTransport, SecondFamilyBindsThePortTheKernelPickedForTheFirst) {
  auto t = UdpTransport::open(0);
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_NE(t->v4(), nullptr);
  ASSERT_NE(t->v6(), nullptr);
  EXPECT_NE(t->port(), 0);
  EXPECT_EQ(t->v4()->port(), t->port());
  EXPECT_EQ(t->v6()->port(), t->port());
}

TEST(UdpTransport, RoutesMixedFamilyBatchToTheMatchingSockets) {
  auto rx = UdpTransport::open(0);
  auto tx = UdpTransport::open(0);
  ASSERT_TRUE(rx.ok() && tx.ok());
  const Endpoint to4{*IpAddress::parse("127.0.0.1"), rx->port()};
  const Endpoint to6{*IpAddress::parse("::1"), rx->port()};
  PacketBatch out;
  out.push_back(as_bytes("a4"), to4);
  out.push_back(as_bytes("b6"), to6);
  out.push_back(as_bytes("c6"), to6);
  out.push_back(as_bytes("d4"), to4);
  const SendResult r = tx->send_batch(out);
  EXPECT_EQ(r.sent, 4u);
  const auto got4 = receive(*rx->v4(), 2);
  const auto got6 = receive(*rx->v6(), 2);
  ASSERT_EQ(got4.size(), 2u);
  ASSERT_EQ(got6.size(), 2u);
  EXPECT_EQ(got4[0].second, "a4");
  EXPECT_EQ(got4[1].second, "d4");
  EXPECT_EQ(got6[0].second, "b6");
  EXPECT_EQ(got6[1].second, "c6");
  EXPECT_EQ(got6[0].first.port, tx->port());
}

TEST(UdpTransport, RebindMovesBothSocketsToTheNewPort) {
  auto t = UdpTransport::open(0);
  ASSERT_TRUE(t.ok());
  auto probe = UdpTransport::open(0);  // find a free port, then release it
  ASSERT_TRUE(probe.ok());
  const std::uint16_t target = probe->port();
  probe = UdpTransport::open(0);
  // `probe` now holds a different port (or, rarely, the same; then skip).
  if (probe->port() == target) GTEST_SKIP();
  ASSERT_TRUE(t->rebind(target).ok());
  EXPECT_EQ(t->port(), target);
  EXPECT_EQ(t->v6()->port(), target);
}

TEST(UdpTransport, PathMtuDiscoveryIsKeptAcrossRebind) {
  auto t = UdpTransport::open(0);
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_TRUE(t->enable_path_mtu_discovery().ok());
  ASSERT_TRUE(t->rebind(0).ok());
  for (UdpSocket* s : {t->v4(), t->v6()}) {
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->path_mtu_discovery());
    const bool v4 = s->family() == IpAddress::Family::kV4;
    int mode = -1;
    socklen_t len = sizeof mode;
    ASSERT_EQ(::getsockopt(s->fd(), v4 ? IPPROTO_IP : IPPROTO_IPV6,
                           v4 ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER, &mode, &len),
              0);
    EXPECT_EQ(mode, v4 ? IP_PMTUDISC_PROBE : IPV6_PMTUDISC_PROBE);
  }
}

TEST(UdpTransport, FwmarkIsAppliedAndCleared) {
  auto t = UdpTransport::open(0, 0x51820);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->fwmark(), 0x51820u);
  EXPECT_TRUE(t->set_fwmark(0).ok());
  EXPECT_EQ(t->fwmark(), 0u);
}

}  // namespace
}  // namespace tandem::io
