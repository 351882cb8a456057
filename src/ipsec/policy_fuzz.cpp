// Fuzz target: arbitrary bytes as what an authentic ESP packet carried. They are sealed by one
// side's SA database (transport mode for L2TP/IPsec and tunnel mode, the Next Header taken from
// the first byte) and opened by the other's, so the policy check after decryption (UDP ports of a
// transport payload, the inner IPv4/IPv6 header of a tunnel packet) sees every shape of input;
// the same bytes go to the outbound tunnel lookup.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/seeded_rng.hpp"
#include "ipsec/sa_database.hpp"

using namespace tandem;
using namespace tandem::ipsec;

namespace {

esp::SaKeys keys(std::uint8_t fill) {
  return {esp::Cipher::kAesGcm16,
          std::vector<std::byte>(20, std::byte{fill}),
          esp::Integrity::kNone,
          {}};
}

struct Pair {
  SaDatabase sender;
  SaDatabase receiver;
};

Pair make_pair(ike::EspMode mode, std::uint32_t spi) {
  const auto ip = [](const char* t) { return *IpAddress::parse(t); };
  ike::ChildSa out;
  out.inbound_spi = spi + 1;
  out.outbound_spi = spi;
  out.inbound_keys = keys(1);
  out.outbound_keys = keys(2);
  out.mode = mode;
  if (mode == ike::EspMode::kTransport) {
    out.local = {{ip("10.0.0.2"), ip("10.0.0.2"), 17, 1701, 1701}};
    out.remote = {{ip("192.0.2.1"), ip("192.0.2.1"), 17, 1701, 1701}};
  } else {
    out.local = {{ip("10.1.0.0"), ip("10.1.255.255"), 0, 0, 65535},
                 {ip("fd00:1::"), ip("fd00:1::ffff"), 6, 80, 443}};
    out.remote = {{ip("10.2.0.0"), ip("10.2.255.255"), 17, 0, 65535},
                  {ip("fd00:2::"), ip("fd00:2::ffff"), 0, 0, 65535}};
  }
  out.peer = {ip("192.0.2.1"), 4500};
  ike::ChildSa in = out;
  std::swap(in.inbound_spi, in.outbound_spi);
  std::swap(in.inbound_keys, in.outbound_keys);
  std::swap(in.local, in.remote);
  Pair p;
  (void)p.sender.install(out);
  (void)p.receiver.install(in);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Pair transport = make_pair(ike::EspMode::kTransport, 0x1000);
  static Pair tunnel = make_pair(ike::EspMode::kTunnel, 0x2000);
  static SeededRng rng(7);
  if (size < 1 || size > 2048) return 0;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  const std::uint8_t next = data[0];
  if (auto flow = flow_of_ip_packet({bytes + 1, size - 1})) (void)tunnel.sender.tunnel_for(*flow);
  for (Pair* p : {&transport, &tunnel}) {
    SaEntry* sa = p->sender.find(p == &transport ? 0x1001 : 0x2001);
    if (sa == nullptr) return 0;
    std::vector<std::byte> slot(size + 128);
    std::copy(bytes + 1, bytes + size, slot.begin() + 64);
    Packet packet{slot.data(), slot.size(), 64, size - 1, {}};
    if (!p->sender.seal(*sa, packet, next, rng)) continue;
    (void)p->receiver.open(packet);
  }
  return 0;
}
