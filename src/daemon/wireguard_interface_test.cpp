// WireguardInterface as a path (hybrid or nested): its sender thread and the link's queue.
#include "daemon/wireguard_interface.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "io/netns_fixture.hpp"

namespace tandem::daemon {
namespace {

using WireguardInterfaceTest = io::testing::NetnsTest;

// A link that hands WireGuard's sender the packets queued on it (as a nested interface queues an
// inner tunnel's datagrams), without waking it: the test decides when the sender runs.
class QueueLink final : public HybridLink {
 public:
  void queue(ByteView packet) {
    std::lock_guard lock(mutex_);
    queued_.emplace_back(packet.begin(), packet.end());
  }
  void wireguard_outbound(io::PacketBatch&) override {}
  void wireguard_injected(io::PacketBatch& batch) override {
    std::lock_guard lock(mutex_);
    for (const auto& p : queued_) batch.push_back(ByteView(p.data(), p.size()));
    queued_.clear();
  }
  void inbound(hybrid::PathKind, io::PacketBatch&) override {}
  void inbound(hybrid::PathKind, std::span<const ByteView>) override {}
  void protocol_state(hybrid::PathKind, bool, const std::string&,
                      std::optional<IpAddress>) override {}
  std::optional<HybridLogin> l2tp_login(std::string_view) override { return std::nullopt; }
  void session_down(hybrid::PathKind, const IpAddress&) override {}
  void on_control_wake() override {}

 private:
  std::mutex mutex_;
  std::vector<std::vector<std::byte>> queued_;
};

// Counts what WireGuard sends, instead of a socket.
class CountingCarrier final : public DatagramCarrier {
 public:
  void carry(io::PacketBatch&, std::size_t begin, std::size_t end, std::uint16_t) override {
    carried += end - begin;
  }
  void carry_one(ByteView, const Endpoint&, std::uint16_t) override { ++carried; }
  std::atomic<std::size_t> carried{0};
};

// IPv4 header of a 20-byte packet from 10.9.0.1 to 10.9.0.2 (the checksum is not checked).
std::vector<std::byte> packet_to_peer() {
  const std::uint8_t header[20] = {0x45, 0, 0,  20, 0, 0, 0,  0, 64, 17,
                                   0,    0, 10, 9,  0, 1, 10, 9, 0,  2};
  std::vector<std::byte> p(sizeof header);
  for (std::size_t i = 0; i < sizeof header; ++i) p[i] = std::byte(header[i]);
  return p;
}

TEST_F(WireguardInterfaceTest, SenderSendsWhatTheLinkQueuedBeforeTheStop) {
  auto tun = io::TunDevice::create("wgstop0", 1420);
  ASSERT_TRUE(tun) << tun.error();
  QueueLink link;
  CountingCarrier carrier;
  auto wg = WireguardInterface::create_path(*tun, 1420, 51820, link, &carrier);
  ASSERT_TRUE(wg) << wg.error();
  const std::string key_a(64, 'a');
  const std::string key_b = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
  ASSERT_NE((*wg)
                ->handle_uapi("set=1\nprivate_key=" + key_a + "\npublic_key=" + key_b +
                              "\nendpoint=192.0.2.1:51820\nallowed_ip=10.9.0.2/32\n\n")
                .find("errno=0"),
            std::string::npos);
  (*wg)->start();
  // Queued as a nested tunnel queues its goodbye while hanging up: no wake-up before the stop.
  link.queue(packet_to_peer());
  (*wg)->control_loop().stop();
  ASSERT_TRUE((*wg)->run());
  // The packet needs a session, so its first datagram is the handshake initiation for it.
  EXPECT_GE(carrier.carried.load(), 1u);
}

}  // namespace
}  // namespace tandem::daemon
