#include "io/tun_device.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <thread>

#include "io/netlink.hpp"
#include "io/netns_fixture.hpp"
#include "io/udp_socket.hpp"

namespace tandem::io {
namespace {

using TunDeviceTest = testing::NetnsTest;

// Brings `tun` up as 10.77.0.1/24 so the kernel routes 10.77.0.0/24 into it.
void configure(const TunDevice& tun) {
  auto nl = Netlink::open();
  ASSERT_TRUE(nl.ok());
  ASSERT_TRUE(nl->add_address(tun.index(), *InterfaceAddress::parse("10.77.0.1/24")).ok());
  ASSERT_TRUE(nl->set_link_up(tun.index()).ok());
}

std::uint16_t ipv4_checksum(const std::uint8_t* header, std::size_t length) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < length; i += 2) sum += (header[i] << 8) | header[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// IPv4 + UDP (checksum 0: optional over IPv4) from 10.77.0.2:4000 to 10.77.0.1:port.
std::vector<std::byte> udp_packet_to_local(std::uint16_t port, std::string_view payload) {
  std::vector<std::uint8_t> p(28 + payload.size());
  const auto total = static_cast<std::uint16_t>(p.size());
  const std::uint8_t header[20] = {0x45,
                                   0,
                                   std::uint8_t(total >> 8),
                                   std::uint8_t(total & 0xff),
                                   0,
                                   0,
                                   0x40,
                                   0,
                                   64,
                                   17,
                                   0,
                                   0,
                                   10,
                                   77,
                                   0,
                                   2,
                                   10,
                                   77,
                                   0,
                                   1};
  std::copy(std::begin(header), std::end(header), p.begin());
  const std::uint16_t csum = ipv4_checksum(p.data(), 20);
  p[10] = std::uint8_t(csum >> 8);
  p[11] = std::uint8_t(csum & 0xff);
  const auto udp_len = static_cast<std::uint16_t>(8 + payload.size());
  const std::uint8_t udp[8] = {4000 >> 8,
                               4000 & 0xff,
                               std::uint8_t(port >> 8),
                               std::uint8_t(port & 0xff),
                               std::uint8_t(udp_len >> 8),
                               std::uint8_t(udp_len & 0xff),
                               0,
                               0};
  std::copy(std::begin(udp), std::end(udp), p.begin() + 20);
  std::copy(payload.begin(), payload.end(), p.begin() + 28);
  std::vector<std::byte> out(p.size());
  std::memcpy(out.data(), p.data(), p.size());
  return out;
}

TEST_F(TunDeviceTest, CreatesDeviceWithNameIndexAndMtu) {
  auto tun = TunDevice::create("tdm0", 1420);
  ASSERT_TRUE(tun.ok()) << tun.error();
  EXPECT_EQ(tun->name(), "tdm0");
  EXPECT_GT(tun->index(), 0);
  EXPECT_EQ(*tun->mtu(), 1420u);
  EXPECT_EQ(ip_json("link show dev tdm0")[0]["mtu"], 1420);
}

TEST_F(TunDeviceTest, KernelChoosesNameFromPattern) {
  auto tun = TunDevice::create("tdm%d");
  ASSERT_TRUE(tun.ok()) << tun.error();
  EXPECT_EQ(tun->name(), "tdm0");
}

TEST_F(TunDeviceTest, RefusesOverlongName) {
  EXPECT_FALSE(TunDevice::create("a-name-longer-than-ifnamsiz").ok());
}

TEST_F(TunDeviceTest, OpensAnotherQueueOfTheSameDevice) {
  auto tun = TunDevice::create("tdm0");
  ASSERT_TRUE(tun.ok());
  auto q = tun->open_queue();
  ASSERT_TRUE(q.ok()) << q.error();
  EXPECT_NE(q->fd(), tun->fd());
  EXPECT_EQ(q->index(), tun->index());
  EXPECT_EQ(q->name(), "tdm0");
}

TEST_F(TunDeviceTest, ReadBatchReturnsZeroWhenNothingIsWaiting) {
  auto tun = TunDevice::create("tdm0");
  ASSERT_TRUE(tun.ok());
  PacketBatch batch;
  auto n = tun->read_batch(batch);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_F(TunDeviceTest, ReadsBatchOfPacketsTheKernelRoutesIntoIt) {
  auto tun = TunDevice::create("tdm0");
  ASSERT_TRUE(tun.ok());
  configure(*tun);
  auto sender = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(sender.ok());
  const Endpoint peer{*IpAddress::parse("10.77.0.2"), 9999};
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(sender->send(as_bytes("ping"), peer).ok());

  PacketBatch batch;
  std::size_t udp_packets = 0;
  for (int round = 0; round < 50 && udp_packets < 8; ++round) {
    pollfd p{tun->fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    auto n = tun->read_batch(batch);
    ASSERT_TRUE(n.ok());
    for (const Packet& pk : batch) {
      EXPECT_EQ(pk.offset, PacketBatch::kDefaultHeadroom);
      const auto b = pk.bytes();
      // Skip router solicitations and the like; count our IPv4/UDP datagrams to 10.77.0.2.
      if (b.size() >= 28 && std::to_integer<int>(b[0]) == 0x45 &&
          std::to_integer<int>(b[9]) == 17 && std::to_integer<int>(b[19]) == 2)
        ++udp_packets;
    }
  }
  EXPECT_EQ(udp_packets, 8u);
}

TEST_F(TunDeviceTest, SpanReadFillsCallerBuffers) {
  auto tun = TunDevice::create("tdm0");
  ASSERT_TRUE(tun.ok());
  configure(*tun);
  auto sender = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(sender.ok());
  ASSERT_TRUE(sender->send(as_bytes("hello"), Endpoint{*IpAddress::parse("10.77.0.9"), 9}).ok());
  std::vector<std::byte> a(2000), b(2000);
  const MutableByteView buffers[] = {a, b};
  std::size_t sizes[2] = {};
  bool seen = false;  // IPv6 housekeeping packets (router solicitations) may come first
  for (int round = 0; round < 50 && !seen; ++round) {
    pollfd p{tun->fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    auto n = tun->read_batch(buffers, sizes);
    ASSERT_TRUE(n.ok());
    ASSERT_LE(*n, 2u);
    for (std::size_t i = 0; i < *n; ++i)
      if (sizes[i] == 33 && std::to_integer<int>(buffers[i][0]) == 0x45) seen = true;  // 20+8+5
  }
  EXPECT_TRUE(seen);
}

TEST_F(TunDeviceTest, WrittenPacketsReachALocalSocket) {
  auto tun = TunDevice::create("tdm0");
  ASSERT_TRUE(tun.ok());
  configure(*tun);
  auto receiver = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(receiver.ok());
  PacketBatch out;
  out.push_back(udp_packet_to_local(receiver->port(), "first"));
  out.push_back(udp_packet_to_local(receiver->port(), "second"));
  const SendResult r = tun->write_batch(out);
  EXPECT_EQ(r.sent, 2u);
  EXPECT_EQ(r.failed, 0u);

  PacketBatch in;
  std::vector<std::string> got;
  for (int round = 0; round < 50 && got.size() < 2; ++round) {
    pollfd p{receiver->fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    ASSERT_TRUE(receiver->recv_batch(in).ok());
    for (const Packet& pk : in) {
      got.emplace_back(reinterpret_cast<const char*>(pk.bytes().data()), pk.length);
      EXPECT_EQ(pk.endpoint, (Endpoint{*IpAddress::parse("10.77.0.2"), 4000}));
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"first", "second"}));
}

}  // namespace
}  // namespace tandem::io
