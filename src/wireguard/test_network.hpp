// Test harness: two or more WireGuard devices wired back to back in memory over a link that can
// lose, duplicate, reorder and redirect datagrams, with a fake monotonic clock and a fake wall
// clock. Time only moves when the test says so.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/seeded_rng.hpp"
#include "crypto/x25519.hpp"
#include "wireguard/device.hpp"

namespace tandem::wireguard::testing {

using tandem::SeededRng;

class FakeWallClock final : public WallClock {
 public:
  WallTime wall_now() override { return now; }
  WallTime now = WallTime(std::chrono::seconds(1'700'000'000));
};

struct Datagram {
  Endpoint from;
  Endpoint to;
  std::vector<std::byte> bytes;
};

class TestNetwork;

// One device and everything it did, at one endpoint address.
class Node final : public DeviceActions {
 public:
  Node(TestNetwork& net, std::string name, Endpoint address, std::uint64_t seed);

  void send_datagram(const Endpoint& to, ByteView datagram) override;
  void deliver_inner_packet(ByteView packet) override {
    delivered.emplace_back(packet.begin(), packet.end());
  }
  void on_event(const DeviceEvent& event) override { events.push_back(event); }

  // Puts an inner packet through the whole send path.
  void send_inner(const std::vector<std::byte>& inner);
  // Feeds one datagram into the whole receive path.
  void receive(const Datagram& d);

  int count_events(DeviceEvent::Kind kind) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(),
                                          [&](const DeviceEvent& e) { return e.kind == kind; }));
  }

  std::string name;
  Endpoint address;
  SeededRng rng;
  Device device;
  crypto::PrivateKey private_key;
  crypto::PublicKey public_key{};
  std::vector<std::vector<std::byte>> delivered;
  std::vector<DeviceEvent> events;
  int sent_initiations = 0;

 private:
  TestNetwork& net_;
};

class TestNetwork {
 public:
  TestNetwork();

  Node& add_node(const std::string& name, const std::string& address);
  // Makes a and b peers: each allows the other's inner /32; a knows b's endpoint (and b
  // knows a's too when `both_endpoints`).
  void connect(Node& a, const std::string& a_inner, Node& b, const std::string& b_inner,
               bool both_endpoints = false, const std::optional<Key>& psk = std::nullopt);

  // Delivers datagrams in flight until none are left (bounded).
  void pump();
  // Moves time forward by `d`, firing every timer on the way and delivering what they send.
  void advance(Duration d);

  TimePoint now{std::chrono::seconds(1000)};
  FakeWallClock wall;
  std::vector<Datagram> in_flight;
  // Return false to lose the datagram.
  std::function<bool(const Datagram&)> link_filter;
  std::vector<Datagram> all_sent;

  std::vector<std::unique_ptr<Node>> nodes;
};

// An IPv4 packet from src to dst with `payload` bytes, each set to `marker`.
std::vector<std::byte> ipv4_packet(const std::string& src, const std::string& dst,
                                   std::size_t payload, std::uint8_t marker = 0xab);

}  // namespace tandem::wireguard::testing
