#include "io/tun_device.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "io/netlink.hpp"
#include "io/netns_fixture.hpp"
#include "io/udp_socket.hpp"
#include "packet/tcp_test_packets.hpp"

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

std::uint16_t internet_checksum_of(ByteView b) {
  return ipv4_checksum(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
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

TEST_F(TunDeviceTest, WithOffloadsWrittenPacketsStillReachALocalSocket) {
  auto tun = TunDevice::create("tdm0", 1420, true);
  ASSERT_TRUE(tun.ok());
  ASSERT_TRUE(tun->offloads()) << tun->offloads_refused();
  configure(*tun);
  auto receiver = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(receiver.ok());
  PacketBatch out;
  out.push_back(udp_packet_to_local(receiver->port(), "offloaded"));
  EXPECT_EQ(tun->write_batch(out).sent, 1u);
  PacketBatch in;
  std::size_t got = 0;
  for (int round = 0; round < 50 && got == 0; ++round) {
    pollfd p{receiver->fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    ASSERT_TRUE(receiver->recv_batch(in).ok());
    got += in.size();
  }
  EXPECT_EQ(got, 1u);
}

// The far end of a TCP connection the kernel opens through the device, played by hand: it
// answers the SYN so the kernel sends data, which with TSO leaves as super-packets.
class TcpThroughTun {
 public:
  static constexpr std::uint16_t kServerPort = 5000;
  const IpAddress local = *IpAddress::parse("10.77.0.1");
  const IpAddress remote = *IpAddress::parse("10.77.0.2");

  // Sends a SYN-ACK for `syn` with MSS 1380 and window scaling, so a large flight may follow.
  std::vector<std::byte> syn_ack(ByteView syn) {
    client_port = load_be16(syn.data() + 20);
    next_seq = load_be32(syn.data() + 24) + 1;
    auto p = packet::testing::tcp_packet(remote, local, 0x12, {2, 4, 0x05, 0x64, 1, 3, 3, 7});
    store_be16(p.data() + 20, kServerPort);
    store_be16(p.data() + 22, client_port);
    store_be32(p.data() + 24, 1000);
    store_be32(p.data() + 28, next_seq);
    store_be16(p.data() + 36, 0);
    store_be16(p.data() + 36,
               packet::testing::tcp_checksum(remote, local, ByteView(p).subspan(20)));
    return p;
  }

  std::uint16_t client_port = 0;
  std::uint32_t next_seq = 0;
};

bool is_tcp_v4(ByteView b) {
  return b.size() >= 40 && std::to_integer<int>(b[0]) == 0x45 && std::to_integer<int>(b[9]) == 6;
}

TEST_F(TunDeviceTest, WithOffloadsTcpSuperPacketsArriveCutToCheckedSegments) {
  auto tun = TunDevice::create("tdm0", 1420, true);
  ASSERT_TRUE(tun.ok());
  ASSERT_TRUE(tun->offloads()) << tun->offloads_refused();
  configure(*tun);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(TcpThroughTun::kServerPort);
  to.sin_addr.s_addr = htonl(0x0a4d0002);
  ::connect(client.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to);
  TcpThroughTun far;
  PacketBatch batch;
  std::vector<std::byte> data(60000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 13);
  std::vector<std::byte> received;
  bool connected = false;
  for (int round = 0; round < 200 && received.size() < 10 * 1380; ++round) {
    pollfd p{tun->fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    ASSERT_TRUE(tun->read_batch(batch).ok());
    for (const Packet& pk : batch) {
      const auto b = pk.bytes();
      if (!is_tcp_v4(b) || load_be16(b.data() + 22) != TcpThroughTun::kServerPort) continue;
      EXPECT_LE(b.size(), 1420u);
      EXPECT_EQ(internet_checksum_of(b.first(20)), 0) << "IPv4 header checksum";
      EXPECT_EQ(packet::testing::tcp_checksum(far.local, far.remote, b.subspan(20)), 0)
          << "TCP checksum, finished or computed for each segment";
      if ((std::to_integer<int>(b[33]) & 0x02) != 0) {
        ASSERT_EQ(tun->write(far.syn_ack(b)).ok(), true);
        continue;
      }
      const std::size_t header = 20 + (std::to_integer<std::size_t>(b[32]) >> 4) * 4;
      if (b.size() == header) continue;  // the handshake's ACK
      EXPECT_EQ(load_be32(b.data() + 24), far.next_seq) << "segments in order, no gap";
      far.next_seq += static_cast<std::uint32_t>(b.size() - header);
      received.insert(received.end(), b.begin() + static_cast<std::ptrdiff_t>(header), b.end());
    }
    if (!connected) {
      pollfd w{client.get(), POLLOUT, 0};
      if (::poll(&w, 1, 0) == 1 && (w.revents & POLLOUT)) {
        connected = true;
        ASSERT_GT(::send(client.get(), data.data(), data.size(), 0), 0);
      }
    }
  }
  ASSERT_GE(received.size(), 4u * 1380);
  EXPECT_TRUE(std::equal(received.begin(), received.end(), data.begin()));
  EXPECT_GT(tun->super_packets(), 0u);
  EXPECT_EQ(tun->malformed_super_packets(), 0u);
}

}  // namespace
}  // namespace tandem::io
