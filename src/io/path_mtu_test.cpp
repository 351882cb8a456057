#include "io/path_mtu.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "io/event_loop.hpp"
#include "io/netns_fixture.hpp"
#include "io/udp_socket.hpp"

namespace tandem::io {
namespace {

// Generous: these bound how long a test may wait, they are never the reason it proceeds.
constexpr int kWaitMs = 5000;

bool wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, kWaitMs) == 1 && (p.revents & events) != 0;
}

// Reads the error queue until `want` entries have arrived or kWaitMs has passed. poll() reports
// POLLERR whether asked or not, so waiting for nothing else waits for an error.
std::vector<DeliveryError> wait_for_errors(UdpSocket& s, std::size_t want) {
  std::vector<DeliveryError> got;
  DeliveryError buffer[8];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{s.fd(), 0, 0};
    ::poll(&p, 1, 100);
    auto n = s.read_errors(buffer);
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().text());
    if (!n) break;
    got.insert(got.end(), buffer, buffer + *n);
  }
  return got;
}

// The next datagram `s` receives, as text; empty if none arrives in time.
std::string receive_one(UdpSocket& s, Endpoint* from = nullptr) {
  if (!wait_for(s.fd(), POLLIN)) return {};
  PacketBatch batch(1);
  auto n = s.recv_batch(batch);
  EXPECT_TRUE(n.ok());
  if (!n || *n == 0) return {};
  if (from != nullptr) *from = batch[0].endpoint;
  return std::string(reinterpret_cast<const char*>(batch[0].bytes().data()), batch[0].length);
}

std::string datagram(std::size_t size, char fill) {
  return std::string(size, fill);
}

UdpSocket bound_with_path_mtu_discovery(IpAddress::Family family) {
  auto s = UdpSocket::bind(family, 0);
  EXPECT_TRUE(s.ok()) << s.error();
  auto on = s->enable_path_mtu_discovery();
  EXPECT_TRUE(on.ok()) << on.error();
  return std::move(s).value();
}

// A port nothing listens on: bound, then released (inside the test's own namespace, where no one
// else can take it meanwhile).
std::uint16_t closed_port(IpAddress::Family family) {
  auto s = UdpSocket::bind(family, 0);
  EXPECT_TRUE(s.ok());
  return s->port();
}

// Errors on the loopback of a fresh namespace: the kernel answers a datagram to a closed port
// with ICMP port unreachable, which lands on the sender's error queue.
using SocketErrorQueue = testing::NetnsTest;

TEST_F(SocketErrorQueue, ReportsPortUnreachableWithTheDatagramsDestination) {
  UdpSocket s = bound_with_path_mtu_discovery(IpAddress::Family::kV4);
  const Endpoint nobody{*IpAddress::parse("127.0.0.1"), closed_port(IpAddress::Family::kV4)};
  ASSERT_TRUE(s.send(as_bytes("anyone there?"), nobody).ok());
  const auto errors = wait_for_errors(s, 1);
  ASSERT_EQ(errors.size(), 1u);
  const DeliveryError& e = errors[0];
  EXPECT_EQ(e.destination, nobody);
  EXPECT_EQ(e.origin, DeliveryError::Origin::kIcmp);
  EXPECT_EQ(e.error, ECONNREFUSED);
  EXPECT_EQ(e.icmp_type, 3);
  EXPECT_EQ(e.icmp_code, 3);
  EXPECT_FALSE(e.too_big);
  EXPECT_EQ(e.path_mtu, 0u);
  EXPECT_EQ(e.reported_by, nobody.address);
}

TEST_F(SocketErrorQueue, WithoutPathMtuDiscoveryNothingIsQueued) {
  auto s = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(s.ok());
  const Endpoint nobody{*IpAddress::parse("127.0.0.1"), closed_port(IpAddress::Family::kV4)};
  ASSERT_TRUE(s->send(as_bytes("anyone there?"), nobody).ok());
  // The ICMP answer is generated while the send runs on loopback; give it the same bound anyway.
  pollfd p{s->fd(), 0, 0};
  EXPECT_EQ(::poll(&p, 1, 200), 0);
  DeliveryError buffer[1];
  auto n = s->read_errors(buffer);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_F(SocketErrorQueue, AQueuedErrorDoesNotInterruptTheNextReceive) {
  UdpSocket s = bound_with_path_mtu_discovery(IpAddress::Family::kV4);
  auto peer = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(peer.ok());
  const IpAddress loopback = *IpAddress::parse("127.0.0.1");
  ASSERT_TRUE(s.send(as_bytes("x"), Endpoint{loopback, closed_port(loopback.family())}).ok());
  ASSERT_TRUE(wait_for(s.fd(), POLLERR));
  ASSERT_TRUE(peer->send(as_bytes("data behind the error"), Endpoint{loopback, s.port()}).ok());
  EXPECT_EQ(receive_one(s), "data behind the error");
  // The receive left the report itself on the queue.
  EXPECT_EQ(wait_for_errors(s, 1).size(), 1u);
}

TEST_F(SocketErrorQueue, AQueuedErrorDoesNotCostTheNextSendItsDatagram) {
  UdpSocket s = bound_with_path_mtu_discovery(IpAddress::Family::kV4);
  auto peer = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(peer.ok());
  const IpAddress loopback = *IpAddress::parse("127.0.0.1");
  const Endpoint nobody{loopback, closed_port(loopback.family())};
  const Endpoint to_peer{loopback, peer->port()};

  ASSERT_TRUE(s.send(as_bytes("x"), nobody).ok());
  ASSERT_TRUE(wait_for(s.fd(), POLLERR));
  PacketBatch out;
  out.push_back(as_bytes("batched"), to_peer);
  const SendResult r = s.send_batch(out);
  EXPECT_EQ(r.sent, 1u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(receive_one(*peer), "batched");
  // Emptied, so the next POLLERR is the next error's.
  ASSERT_EQ(wait_for_errors(s, 1).size(), 1u);

  ASSERT_TRUE(s.send(as_bytes("x"), nobody).ok());
  ASSERT_TRUE(wait_for(s.fd(), POLLERR));
  EXPECT_TRUE(s.send(as_bytes("single"), to_peer).ok());
  EXPECT_EQ(receive_one(*peer), "single");
}

TEST_F(SocketErrorQueue, AnErrorTheQueueHadNoRoomForIsClearedToo) {
  // The error queue shares the receive buffer: with it full of datagrams the ICMP report is
  // dropped, yet it still leaves the socket's pending error, which alone raises EPOLLERR.
  UdpSocket s = bound_with_path_mtu_discovery(IpAddress::Family::kV4);
  const int smallest = 1;  // the kernel rounds up to its minimum
  ASSERT_EQ(::setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &smallest, sizeof smallest), 0);
  auto peer = UdpSocket::bind(IpAddress::Family::kV4, 0);
  ASSERT_TRUE(peer.ok());
  const IpAddress loopback = *IpAddress::parse("127.0.0.1");
  for (int i = 0; i < 16; ++i)
    ASSERT_TRUE(peer->send(as_bytes(datagram(1000, 'd')), Endpoint{loopback, s.port()}).ok());
  ASSERT_TRUE(wait_for(s.fd(), POLLIN));
  ASSERT_TRUE(s.send(as_bytes("x"), Endpoint{loopback, closed_port(loopback.family())}).ok());
  ASSERT_TRUE(wait_for(s.fd(), POLLERR));

  DeliveryError buffer[4];
  auto n = s.read_errors(buffer);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 0u) << "the report found room after all; the buffer was not full";
  pollfd p{s.fd(), 0, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "EPOLLERR is still raised";
}

TEST_F(SocketErrorQueue, DrainingErrorsInTheErrorCallbackLetsTheLoopSleep) {
  UdpSocket s = bound_with_path_mtu_discovery(IpAddress::Family::kV4);
  const Endpoint nobody{*IpAddress::parse("127.0.0.1"), closed_port(IpAddress::Family::kV4)};
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  int readable_calls = 0;
  int error_calls = 0;
  std::size_t errors_read = 0;
  ASSERT_TRUE((*loop)
                  ->watch_readable(
                      s.fd(), [&] { ++readable_calls; },
                      [&] {
                        ++error_calls;
                        // Two at a time: a backlog takes several turns, each making progress.
                        DeliveryError buffer[2];
                        auto n = s.read_errors(buffer);
                        if (n) errors_read += *n;
                      })
                  .ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.send(as_bytes("x"), nobody).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (errors_read < 5 && std::chrono::steady_clock::now() < deadline)
    ASSERT_TRUE((*loop)->run_once(100).ok());
  ASSERT_EQ(errors_read, 5u);
  EXPECT_EQ(readable_calls, 0);

  // Nothing is pending any more: the loop must wait out its timeout instead of spinning.
  const int calls_before = error_calls;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*loop)->run_once(100).ok());
  EXPECT_EQ(error_calls, calls_before);
  EXPECT_EQ(readable_calls, 0);
}

// The underlay in miniature: this test's namespace sends, a router namespace forwards, and the
// router's link towards the receiver namespace has MTU 1300, so a 1400-byte datagram with DF
// draws ICMP fragmentation-needed (IPv4) or packet-too-big (IPv6) from the router.
//
//   sender  s0 10.0.1.1    fd00:1::1  --  r0 10.0.1.2  fd00:1::2  router
//   router  r1 10.0.2.1    fd00:2::1  --  b0 10.0.2.2  fd00:2::2  receiver   (MTU 1300)
class PathMtuTopology : public testing::NetnsTest {
 protected:
  static constexpr std::uint32_t kNarrowMtu = 1300;
  static constexpr std::uint32_t kSenderDeviceMtu = 1500;  // veth's default

  struct Plan {
    IpAddress::Family family;
    IpAddress router;    // the router's address on the sender's link: the ICMP source
    IpAddress receiver;  // across the narrow link
    DeliveryError::Origin icmp_origin;
  };

  void SetUp() override {
    NetnsTest::SetUp();
    if (HasFatalFailure()) return;
    static int counter = 0;
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    router_ = "tandem-pmtu-router-" + tag;
    receiver_ = "tandem-pmtu-receiver-" + tag;
    const std::string r = "ip -n " + router_ + " ";
    const std::string b = "ip -n " + receiver_ + " ";
    const std::string no_dad =
        "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0";
    const std::vector<std::string> commands = {
        "ip netns add " + router_,
        "ip netns add " + receiver_,
        // No duplicate address detection anywhere: tentative link-local addresses would hold up
        // neighbour discovery, and with it the first datagrams, for a second or more.
        no_dad,
        "ip netns exec " + router_ + " " + no_dad,
        "ip netns exec " + receiver_ + " " + no_dad,
        "ip link add s0 type veth peer name r0 netns " + router_,
        r + "link add r1 mtu 1300 type veth peer name b0 mtu 1300 netns " + receiver_,
        "ip addr add 10.0.1.1/24 dev s0",
        "ip -6 addr add fd00:1::1/64 dev s0 nodad",
        "ip link set s0 up",
        "ip route add default via 10.0.1.2",
        "ip -6 route add default via fd00:1::2",
        r + "addr add 10.0.1.2/24 dev r0",
        r + "-6 addr add fd00:1::2/64 dev r0 nodad",
        r + "addr add 10.0.2.1/24 dev r1",
        r + "-6 addr add fd00:2::1/64 dev r1 nodad",
        r + "link set r0 up",
        r + "link set r1 up",
        // Forwarding on; ICMP error rate limits off so every oversize datagram is answered.
        "ip netns exec " + router_ +
            " sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"
            " net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0",
        b + "addr add 10.0.2.2/24 dev b0",
        b + "-6 addr add fd00:2::2/64 dev b0 nodad",
        b + "link set lo up",
        b + "link set b0 up",
        b + "route add default via 10.0.2.1",
        b + "-6 route add default via fd00:2::1",
    };
    for (const std::string& command : commands) {
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
  }

  void TearDown() override {
    for (const std::string& ns : {router_, receiver_}) {
      if (ns.empty()) continue;
      [[maybe_unused]] const int rc = std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
    }
    NetnsTest::TearDown();
  }

  // A socket bound in the receiver's namespace; it stays there after this thread returns.
  UdpSocket bind_in_receiver(IpAddress::Family family) {
    const int here = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int there = ::open(("/var/run/netns/" + receiver_).c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(here, 0);
    EXPECT_GE(there, 0);
    EXPECT_EQ(::setns(there, CLONE_NEWNET), 0);
    auto s = UdpSocket::bind(family, 0);
    EXPECT_EQ(::setns(here, CLONE_NEWNET), 0);
    ::close(there);
    ::close(here);
    EXPECT_TRUE(s.ok()) << s.error();
    return std::move(s).value();
  }

  void learns_and_follows_the_path_mtu(const Plan& plan);

 private:
  std::string router_;
  std::string receiver_;
};

void PathMtuTopology::learns_and_follows_the_path_mtu(const Plan& plan) {
  UdpSocket sender = bound_with_path_mtu_discovery(plan.family);
  UdpSocket receiver = bind_in_receiver(plan.family);
  const Endpoint to{plan.receiver, receiver.port()};

  // Too big for the narrow link: the router drops it and says how much fits.
  ASSERT_TRUE(sender.send(as_bytes(datagram(1400, 'L')), to).ok());
  const auto reports = wait_for_errors(sender, 1);
  ASSERT_EQ(reports.size(), 1u);
  const DeliveryError& e = reports[0];
  EXPECT_TRUE(e.too_big);
  EXPECT_EQ(e.path_mtu, kNarrowMtu);
  EXPECT_EQ(e.destination, to);
  EXPECT_EQ(e.reported_by, plan.router);
  EXPECT_EQ(e.origin, plan.icmp_origin);
  EXPECT_EQ(e.error, EMSGSIZE);
  auto cached = sender.path_mtu(to);
  ASSERT_TRUE(cached.ok()) << cached.error().text();
  EXPECT_EQ(*cached, kNarrowMtu);

  // What fits still goes through, and it is the first thing to arrive: the large one never did.
  ASSERT_TRUE(sender.send(as_bytes(datagram(1200, 'f')), to).ok());
  Endpoint from;
  EXPECT_EQ(receive_one(receiver, &from), datagram(1200, 'f'));
  EXPECT_EQ(from.port, sender.port());

  // Larger than the learned PMTU: left to the router (PROBE), which reports it again. Larger
  // than the sender's own device: refused at once, counted, reported locally; the rest still go.
  PacketBatch out;
  out.push_back(as_bytes(datagram(1200, 'a')), to);
  out.push_back(as_bytes(datagram(1400, 'P')), to);
  out.push_back(as_bytes(datagram(1600, 'D')), to);
  out.push_back(as_bytes(datagram(1200, 'b')), to);
  const SendResult r = sender.send_batch(out);
  EXPECT_EQ(r.sent, 3u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.first_error, EMSGSIZE);
  const auto again = wait_for_errors(sender, 2);
  ASSERT_GE(again.size(), 2u);
  bool router_said = false;
  bool host_said = false;
  for (const DeliveryError& d : again) {
    EXPECT_TRUE(d.too_big);
    EXPECT_EQ(d.destination.address, to.address);
    if (d.origin == plan.icmp_origin) {
      router_said = true;
      EXPECT_EQ(d.path_mtu, kNarrowMtu);
    } else if (d.origin == DeliveryError::Origin::kLocal) {
      host_said = true;
      EXPECT_EQ(d.path_mtu, kSenderDeviceMtu);
      EXPECT_FALSE(d.reported_by.has_value());
    }
  }
  EXPECT_TRUE(router_said);
  EXPECT_TRUE(host_said);
  EXPECT_EQ(receive_one(receiver), datagram(1200, 'a'));
  EXPECT_EQ(receive_one(receiver), datagram(1200, 'b'));

  // Everything reported has been read: no EPOLLERR is left to wake a loop.
  pollfd p{sender.fd(), 0, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
}

TEST_F(PathMtuTopology, LearnsIpv4PathMtuFromFragmentationNeeded) {
  learns_and_follows_the_path_mtu({IpAddress::Family::kV4, *IpAddress::parse("10.0.1.2"),
                                   *IpAddress::parse("10.0.2.2"), DeliveryError::Origin::kIcmp});
}

TEST_F(PathMtuTopology, LearnsIpv6PathMtuFromPacketTooBig) {
  learns_and_follows_the_path_mtu({IpAddress::Family::kV6, *IpAddress::parse("fd00:1::2"),
                                   *IpAddress::parse("fd00:2::2"), DeliveryError::Origin::kIcmp6});
}

TEST_F(PathMtuTopology, WithoutAnyReportThePathMtuIsTheRoutesMtu) {
  UdpSocket sender = bound_with_path_mtu_discovery(IpAddress::Family::kV4);
  auto mtu = sender.path_mtu(Endpoint{*IpAddress::parse("10.0.2.2"), 9});
  ASSERT_TRUE(mtu.ok());
  EXPECT_EQ(*mtu, kSenderDeviceMtu);
}

}  // namespace
}  // namespace tandem::io
