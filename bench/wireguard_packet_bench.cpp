// WireGuard transport data (whitepaper section 5.4.6): the seal and open the daemon runs on all
// cores outside the device lock (Device::seal, Device::open), and the whole path through two
// devices after a real handshake (send_inner_packet on one, receive_datagram on the other), which
// adds cryptokey routing, counters, timers and the replay window.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "packet_slots.hpp"
#include "wireguard/device.hpp"
#include "wireguard/test_network.hpp"

namespace tandem::bench {
namespace {

using wireguard::Device;

const Endpoint kPeerEndpoint = *Endpoint::parse("192.0.2.2:51820");

wireguard::Key session_key() {
  wireguard::Key key;
  const auto bytes = pattern(key.size(), 7);
  std::copy(bytes.begin(), bytes.end(), key.data());
  return key;
}

wireguard::SealJob seal_job(std::size_t padded) {
  wireguard::SealJob job;
  job.key = session_key();
  job.receiver = 0x01020304;
  job.padded_length = padded;
  job.to = kPeerEndpoint;
  return job;
}

// The inner packet's size, padded to 16 as the send path does.
std::size_t padded(std::size_t size) {
  return (size + wireguard::kMessagePaddingMultiple - 1) / wireguard::kMessagePaddingMultiple *
         wireguard::kMessagePaddingMultiple;
}

void BM_WireguardSeal(benchmark::State& state) {
  const std::size_t size = packet_size(state);
  Slot slot(padded(size));
  const Packet inner = slot.hold(pattern(size));
  wireguard::SealJob job = seal_job(padded(size));
  for (auto _ : state) {
    // Sealing works in place: the next iteration seals the last one's ciphertext, which costs
    // the same as any plaintext.
    Packet p = inner;
    Device::seal(p, job);
    ++job.counter;
    benchmark::DoNotOptimize(p.slot);
    benchmark::ClobberMemory();
  }
  set_packet_rates(state, size);
}
BENCHMARK(BM_WireguardSeal)->Apply(packet_sizes);

void BM_WireguardOpen(benchmark::State& state) {
  const std::size_t size = packet_size(state);
  const auto plaintext = pattern(size);
  auto job = seal_job(padded(size));
  SealedBatch batch(plaintext, [&](std::size_t i, Packet& p) {
    job.counter = i;
    Device::seal(p, job);
    return true;
  });
  wireguard::OpenJob open_job;
  open_job.key = session_key();
  open_job.counter = 0;
  // Checked once, untimed: the first packet opens to what was sealed.
  Packet& first = batch.next(state, [] {});
  if (!Device::open(first, open_job) || first.length != padded(size) ||
      !std::equal(plaintext.begin(), plaintext.end(), first.bytes().begin())) {
    state.SkipWithError("opened packet differs from the sealed one");
    return;
  }
  batch.restart();
  std::size_t i = 0;
  for (auto _ : state) {
    Packet& p = batch.next(state, [&] { i = 0; });
    open_job.counter = i++;
    const bool opened = Device::open(p, open_job);
    benchmark::DoNotOptimize(opened);
    benchmark::DoNotOptimize(p.slot);
    if (!opened) {
      state.SkipWithError("a packet failed to open");
      break;
    }
  }
  set_packet_rates(state, size);
}
BENCHMARK(BM_WireguardOpen)->Apply(packet_sizes);

// More than any datagram a device sends here: data of the largest size, or a handshake message.
constexpr std::size_t kDatagramRoom = 2048;

// Takes a device's datagram into `into` (a copy, as the receiver's socket read would be) and
// counts what it delivers.
class Wire final : public wireguard::DeviceActions {
 public:
  explicit Wire(std::size_t capacity) : into(capacity) {}
  void send_datagram(const Endpoint& to, ByteView datagram) override {
    received = into.hold(datagram);
    received.endpoint = to;
  }
  void deliver_inner_packet(ByteView packet) override {
    ++delivered;
    last_delivered = packet;
  }
  void on_event(const wireguard::DeviceEvent&) override {}

  Slot into;
  Packet received;
  std::size_t delivered = 0;
  ByteView last_delivered;
};

// Devices a and b, 10.0.0.1 and 10.0.0.2, with a session that a handshake established and one
// data packet confirmed.
struct DevicePair {
  DevicePair() : a(net.add_node("a", "127.0.1.1:51820")), b(net.add_node("b", "127.0.1.2:51821")) {
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32");
    a.send_inner(wireguard::testing::ipv4_packet("10.0.0.1", "10.0.0.2", 100));
    net.pump();
  }
  bool established() const { return b.delivered.size() == 1; }

  wireguard::testing::TestNetwork net;
  wireguard::testing::Node& a;
  wireguard::testing::Node& b;
};

void BM_WireguardSendReceive(benchmark::State& state) {
  const std::size_t size = packet_size(state);
  DevicePair pair;
  if (!pair.established()) {
    state.SkipWithError("no session between the devices");
    return;
  }
  const auto inner = wireguard::testing::ipv4_packet("10.0.0.1", "10.0.0.2", size - 20);
  Slot tun(size);
  Wire to_b(kDatagramRoom);
  Wire at_b(kDatagramRoom);
  const Endpoint from_a = pair.a.address;
  const auto one_packet = [&] {
    // The TUN read's copy; sealing then works in place.
    Packet p = tun.hold(inner);
    pair.a.device.send_inner_packet(p, pair.net.now, to_b);
    to_b.received.endpoint = from_a;
    pair.b.device.receive_datagram(to_b.received, pair.net.now, at_b);
  };
  one_packet();
  if (at_b.delivered != 1 || !std::equal(inner.begin(), inner.end(), at_b.last_delivered.begin(),
                                         at_b.last_delivered.end())) {
    state.SkipWithError("b did not deliver what a sent");
    return;
  }
  for (auto _ : state) {
    one_packet();
    benchmark::DoNotOptimize(at_b.delivered);
  }
  if (at_b.delivered != static_cast<std::size_t>(state.iterations()) + 1)
    state.SkipWithError("b dropped packets");
  set_packet_rates(state, size);
}
BENCHMARK(BM_WireguardSendReceive)->Arg(64)->Arg(512)->Arg(1420);

}  // namespace
}  // namespace tandem::bench
