#include "wireguard/test_network.hpp"

#include <stdexcept>

namespace tandem::wireguard::testing {

Node::Node(TestNetwork& net, std::string node_name, Endpoint addr, std::uint64_t seed)
    : name(std::move(node_name)), address(addr), rng(seed), device(rng, net.wall), net_(net) {
  private_key = crypto::x25519_generate_private(rng);
  public_key = crypto::x25519_public_key(private_key);
  device.set_private_key(private_key);
}

void Node::send_datagram(const Endpoint& to, ByteView datagram) {
  Datagram d{address, to, {datagram.begin(), datagram.end()}};
  if (!datagram.empty() &&
      load_le32(datagram.data()) == static_cast<std::uint32_t>(MessageType::kHandshakeInitiation))
    ++sent_initiations;
  net_.all_sent.push_back(d);
  net_.in_flight.push_back(std::move(d));
}

void Node::send_inner(const std::vector<std::byte>& inner) {
  std::vector<std::byte> slot(2048 + 64);
  Packet p;
  p.slot = slot.data();
  p.slot_size = slot.size();
  p.offset = 64;
  p.length = inner.size();
  std::copy(inner.begin(), inner.end(), slot.begin() + 64);
  device.send_inner_packet(p, net_.now, *this);
}

void Node::receive(const Datagram& d) {
  std::vector<std::byte> slot(d.bytes.size() + 64);
  Packet p;
  p.slot = slot.data();
  p.slot_size = slot.size();
  p.offset = 64;
  p.length = d.bytes.size();
  p.endpoint = d.from;
  std::copy(d.bytes.begin(), d.bytes.end(), slot.begin() + 64);
  device.receive_datagram(p, net_.now, *this);
}

TestNetwork::TestNetwork() = default;

Node& TestNetwork::add_node(const std::string& name, const std::string& address) {
  auto ep = Endpoint::parse(address);
  if (!ep) throw std::invalid_argument("bad endpoint " + address);
  nodes.push_back(std::make_unique<Node>(*this, name, *ep, 1000 + nodes.size()));
  return *nodes.back();
}

void TestNetwork::connect(Node& a, const std::string& a_inner, Node& b, const std::string& b_inner,
                          bool both_endpoints, const std::optional<Key>& psk) {
  const PeerId b_at_a = a.device.add_peer(b.public_key);
  const PeerId a_at_b = b.device.add_peer(a.public_key);
  a.device.add_allowed_ip(b_at_a, *IpPrefix::parse(b_inner));
  b.device.add_allowed_ip(a_at_b, *IpPrefix::parse(a_inner));
  a.device.set_endpoint(b_at_a, b.address);
  if (both_endpoints) b.device.set_endpoint(a_at_b, a.address);
  if (psk) {
    a.device.set_preshared_key(b_at_a, psk);
    b.device.set_preshared_key(a_at_b, psk);
  }
}

void TestNetwork::pump() {
  for (int round = 0; round < 10000 && !in_flight.empty(); ++round) {
    Datagram d = std::move(in_flight.front());
    in_flight.erase(in_flight.begin());
    if (link_filter && !link_filter(d)) continue;
    for (auto& node : nodes)
      if (node->address == d.to) node->receive(d);
  }
}

void TestNetwork::advance(Duration d) {
  const TimePoint end = now + d;
  for (int steps = 0; steps < 1'000'000; ++steps) {
    std::optional<TimePoint> next;
    for (auto& node : nodes) {
      auto t = node->device.next_deadline();
      if (t && (!next || *t < *next)) next = t;
    }
    if (!next || *next > end) break;
    const Duration step = std::max(Duration(0), *next - now);
    now += step;
    wall.now += step;
    for (auto& node : nodes) node->device.on_timer(now, *node);
    pump();
  }
  wall.now += end - now;
  now = end;
}

std::vector<std::byte> ipv4_packet(const std::string& src, const std::string& dst,
                                   std::size_t payload, std::uint8_t marker) {
  std::vector<std::byte> p(20 + payload, std::byte{marker});
  p[0] = std::byte{0x45};
  p[1] = std::byte{0};
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  p[8] = std::byte{64};
  p[9] = std::byte{17};
  const auto s = *IpAddress::parse(src);
  const auto t = *IpAddress::parse(dst);
  std::copy_n(reinterpret_cast<const std::byte*>(s.data()), 4, p.begin() + 12);
  std::copy_n(reinterpret_cast<const std::byte*>(t.data()), 4, p.begin() + 16);
  return p;
}

}  // namespace tandem::wireguard::testing
