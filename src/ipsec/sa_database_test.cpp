// The SA database between two nodes in memory: ESP sealed by one opens at the other, the
// policy check drops authentic but unnegotiated traffic, unknown SPIs and replays are counted,
// a rekeyed SA takes over outbound traffic while the old one still opens what was in flight,
// tunnel-mode SAs are chosen by the inner addresses, and nearly spent sequence numbers ask for
// one rekey.
#include "ipsec/sa_database.hpp"

#include <gtest/gtest.h>

#include "base/seeded_rng.hpp"
#include "base/test_bytes.hpp"

namespace tandem::ipsec {
namespace {

using testing::bytes;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

esp::SaKeys keys(std::uint8_t seed, bool gcm) {
  esp::SaKeys k;
  k.cipher = gcm ? esp::Cipher::kAesGcm16 : esp::Cipher::kAesCbc;
  k.encryption.assign(gcm ? 36 : 32, std::byte{seed});
  if (!gcm) {
    k.integrity = esp::Integrity::kHmacSha1_96;
    k.authentication.assign(20, std::byte(seed + 1));
  }
  return k;
}

// One Child SA as each side installs it: the same SPIs and keys, mirrored.
struct SaPair {
  ike::ChildSa client;
  ike::ChildSa gateway;
};

SaPair transport_pair(std::uint32_t client_spi, std::uint32_t gateway_spi, bool gcm,
                      std::uint16_t client_port = 4500) {
  SaPair p;
  ike::ChildSa& c = p.client;
  c.ike_sa = 1;
  c.inbound_spi = client_spi;
  c.outbound_spi = gateway_spi;
  c.inbound_keys = keys(0x11, gcm);
  c.outbound_keys = keys(0x22, gcm);
  c.mode = ike::EspMode::kTransport;
  c.local = {{ip("10.0.0.5"), ip("10.0.0.5"), 17, 1701, 1701}};
  c.remote = {{ip("192.0.2.1"), ip("192.0.2.1"), 17, 1701, 1701}};
  c.local_endpoint = {ip("10.0.0.5"), 4500};
  c.peer = {ip("192.0.2.1"), 4500};
  c.udp_encapsulated = true;
  ike::ChildSa& g = p.gateway;
  g = c;
  std::swap(g.inbound_spi, g.outbound_spi);
  std::swap(g.inbound_keys, g.outbound_keys);
  std::swap(g.local, g.remote);
  g.local_endpoint = {ip("192.0.2.1"), 4500};
  g.peer = {ip("198.51.100.7"), client_port};  // the client's NAT
  return p;
}

struct Slot {
  explicit Slot(const std::vector<std::byte>& payload) : storage(512) {
    std::copy(payload.begin(), payload.end(), storage.begin() + 64);
    packet = Packet{storage.data(), storage.size(), 64, payload.size(), {}};
  }
  std::vector<std::byte> bytes() const {
    const auto b = packet.bytes();
    return {b.begin(), b.end()};
  }
  std::vector<std::byte> storage;
  Packet packet;
};

const std::vector<std::byte> kL2tpHello =
    bytes({0x06, 0xa5, 0x06, 0xa5, 0, 20, 0, 0, 0xc8, 0x02, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0});

TEST(SaDatabase, SealedAtOneSideOpensAtTheOther) {
  for (const bool gcm : {true, false}) {
    SeededRng rng(1);
    SaDatabase client, gateway;
    const auto pair = transport_pair(0xc0000001, 0x9a000001, gcm);
    ASSERT_TRUE(client.install(pair.client));
    ASSERT_TRUE(gateway.install(pair.gateway));

    SaEntry* out = client.transport_for({ip("192.0.2.1"), 4500});
    ASSERT_NE(out, nullptr);
    Slot s(kL2tpHello);
    ASSERT_TRUE(client.seal(*out, s.packet, esp::kNextUdp, rng));
    EXPECT_EQ(s.packet.endpoint, (Endpoint{ip("192.0.2.1"), 4500}));
    EXPECT_EQ(esp::spi_of(s.packet.bytes()), 0x9a000001U);
    const auto opened = gateway.open(s.packet);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->next_header, esp::kNextUdp);
    EXPECT_EQ(opened->sa->peer, (Endpoint{ip("198.51.100.7"), 4500}));
    EXPECT_EQ(s.bytes(), kL2tpHello);
    EXPECT_EQ(out->packets_out, 1U);
  }
}

TEST(SaDatabase, CountsUnknownSpisReplaysAndForgeries) {
  SeededRng rng(2);
  SaDatabase client, gateway;
  const auto pair = transport_pair(0xc0000002, 0x9a000002, true);
  ASSERT_TRUE(client.install(pair.client));
  ASSERT_TRUE(gateway.install(pair.gateway));
  Slot s(kL2tpHello);
  ASSERT_TRUE(client.seal(*client.find(0xc0000002), s.packet, esp::kNextUdp, rng));
  const auto sealed = s.bytes();

  Slot first(sealed);
  ASSERT_TRUE(gateway.open(first.packet));
  Slot again(sealed);
  const auto replay = gateway.open(again.packet);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error(), InboundDrop::kReplay);

  // A fresh sequence number, tampered with: the replay check passes, the ICV does not.
  Slot next(kL2tpHello);
  ASSERT_TRUE(client.seal(*client.find(0xc0000002), next.packet, esp::kNextUdp, rng));
  auto forged_bytes = next.bytes();
  forged_bytes[20] ^= std::byte{1};
  Slot forged(forged_bytes);
  EXPECT_EQ(gateway.open(forged.packet).error(), InboundDrop::kAuthentication);

  // The client's own inbound SPI means nothing to the gateway.
  auto unknown_bytes = sealed;
  unknown_bytes[0] = std::byte{0xc0};
  Slot unknown(unknown_bytes);
  EXPECT_EQ(gateway.open(unknown.packet).error(), InboundDrop::kUnknownSpi);

  EXPECT_EQ(gateway.stats().replayed, 1U);
  EXPECT_EQ(gateway.stats().authentication_failed, 1U);
  EXPECT_EQ(gateway.stats().unknown_spi, 1U);
}

TEST(SaDatabase, AuthenticTrafficOutsideThePolicyIsDropped) {
  SeededRng rng(3);
  SaDatabase client, gateway;
  const auto pair = transport_pair(0xc0000003, 0x9a000003, false);
  ASSERT_TRUE(client.install(pair.client));
  ASSERT_TRUE(gateway.install(pair.gateway));
  // A DNS query inside the L2TP/IPsec SA: authentic, but not UDP 1701.
  Slot dns(bytes({0xc0, 0x01, 0, 53, 0, 8, 0, 0}));
  ASSERT_TRUE(client.seal(*client.find(0xc0000003), dns.packet, esp::kNextUdp, rng));
  const auto r = gateway.open(dns.packet);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), InboundDrop::kPolicy);
  EXPECT_EQ(gateway.stats().policy_dropped, 1U);
  EXPECT_EQ(gateway.find(0x9a000003)->policy_dropped, 1U);
}

TEST(SaDatabase, ARekeyedSaTakesOverOutboundAndTheOldOneStillOpens) {
  SeededRng rng(4);
  SaDatabase client, gateway;
  const auto old_pair = transport_pair(0xc0000010, 0x9a000010, true);
  auto new_pair = transport_pair(0xc0000011, 0x9a000011, true);
  new_pair.client.replaces = 0xc0000010;
  new_pair.gateway.replaces = 0x9a000010;
  ASSERT_TRUE(client.install(old_pair.client));
  ASSERT_TRUE(gateway.install(old_pair.gateway));

  // A packet sealed with the old SA is still in flight when both sides install the new one.
  Slot in_flight(kL2tpHello);
  ASSERT_TRUE(client.seal(*client.transport_for({ip("192.0.2.1"), 4500}), in_flight.packet,
                          esp::kNextUdp, rng));
  ASSERT_TRUE(client.install(new_pair.client));
  ASSERT_TRUE(gateway.install(new_pair.gateway));

  EXPECT_EQ(client.transport_for({ip("192.0.2.1"), 4500})->inbound.spi(), 0xc0000011U);
  EXPECT_FALSE(client.find(0xc0000010)->carries_outbound);
  EXPECT_TRUE(gateway.open(in_flight.packet));
  // The gateway answers on the new SA too, and removing the old one changes nothing.
  gateway.remove(0x9a000010);
  SaEntry* back = gateway.transport_for({ip("198.51.100.7"), 4500});
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->inbound.spi(), 0x9a000011U);
  EXPECT_EQ(gateway.size(), 1U);
}

TEST(SaDatabase, TransportSasAreFoundByEndpointThenByAddress) {
  SaDatabase gateway;
  // Two clients behind the same NAT: one address, two ports, two SAs.
  const auto a = transport_pair(0xc0000020, 0x9a000020, true, 4500);
  const auto b = transport_pair(0xc0000021, 0x9a000021, true, 61000);
  ASSERT_TRUE(gateway.install(a.gateway));
  ASSERT_TRUE(gateway.install(b.gateway));
  EXPECT_EQ(gateway.transport_for({ip("198.51.100.7"), 4500})->inbound.spi(), 0x9a000020U);
  EXPECT_EQ(gateway.transport_for({ip("198.51.100.7"), 61000})->inbound.spi(), 0x9a000021U);
  EXPECT_TRUE(gateway.find(0x9a000020)->carries_outbound);
  // A LAC that knows its server by address and L2TP port finds the SA on port 4500.
  EXPECT_NE(gateway.transport_for({ip("198.51.100.7"), 1701}), nullptr);
  EXPECT_EQ(gateway.transport_for({ip("198.51.100.8"), 4500}), nullptr);
  // Installing a second SA with an SPI already in use is refused.
  EXPECT_FALSE(gateway.install(a.gateway));
  gateway.remove(0x9a000020);
  gateway.remove(0x9a000021);
  EXPECT_EQ(gateway.transport_for({ip("198.51.100.7"), 4500}), nullptr);
}

TEST(SaDatabase, TunnelSasAreChosenByInnerAddresses) {
  SeededRng rng(5);
  SaDatabase left, right;
  ike::ChildSa l;
  l.ike_sa = 7;
  l.inbound_spi = 0x1000;
  l.outbound_spi = 0x2000;
  l.inbound_keys = keys(0x33, true);
  l.outbound_keys = keys(0x44, true);
  l.mode = ike::EspMode::kTunnel;
  l.local = {{ip("10.1.0.0"), ip("10.1.0.255"), 0, 0, 65535}};
  l.remote = {{ip("10.2.0.0"), ip("10.2.0.255"), 0, 0, 65535}};
  l.peer = {ip("192.0.2.2"), 4500};
  ike::ChildSa r = l;
  std::swap(r.inbound_spi, r.outbound_spi);
  std::swap(r.inbound_keys, r.outbound_keys);
  std::swap(r.local, r.remote);
  r.peer = {ip("192.0.2.1"), 4500};
  ASSERT_TRUE(left.install(l));
  ASSERT_TRUE(right.install(r));

  const auto packet = bytes({0x45, 0, 0,  28, 0, 0, 0,    0, 64, 17, 0, 0, 10, 1,
                             0,    7, 10, 2,  0, 9, 0x10, 0, 0,  53, 0, 8, 0,  0});
  const auto flow = flow_of_ip_packet(packet);
  SaEntry* sa = left.tunnel_for(*flow);
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(right.tunnel_for(*flow), nullptr);  // the reverse direction is not right's to send
  Slot s(packet);
  ASSERT_TRUE(left.seal(*sa, s.packet, esp::kNextIpv4, rng));
  const auto opened = right.open(s.packet);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->next_header, esp::kNextIpv4);
  EXPECT_EQ(s.bytes(), packet);

  // Spoofed inner source from outside the left's subnet: authentic but refused.
  auto spoofed = packet;
  spoofed[14] = std::byte{9};
  const auto spoofed_flow = flow_of_ip_packet(spoofed);
  EXPECT_EQ(left.tunnel_for(*spoofed_flow), nullptr);
  Slot forced(spoofed);
  ASSERT_TRUE(left.seal(*sa, forced.packet, esp::kNextIpv4, rng));
  EXPECT_EQ(right.open(forced.packet).error(), InboundDrop::kPolicy);
}

TEST(SaDatabase, NearlySpentSequenceNumbersAskForOneRekey) {
  SeededRng rng(6);
  SaDatabase client;
  const auto pair = transport_pair(0xc0000030, 0x9a000030, true);
  ASSERT_TRUE(client.install(pair.client));
  SaEntry* sa = client.find(0xc0000030);
  sa->outbound.skip_to_sequence_for_test(esp::OutboundSa::kRekeyAt - 1);
  Slot a(kL2tpHello), b(kL2tpHello), c(kL2tpHello);
  const auto first = client.seal(*sa, a.packet, esp::kNextUdp, rng);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  const auto second = client.seal(*sa, b.packet, esp::kNextUdp, rng);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);  // asked once already
  sa->outbound.skip_to_sequence_for_test(0xffffffffU);
  const auto exhausted = client.seal(*sa, c.packet, esp::kNextUdp, rng);
  ASSERT_FALSE(exhausted);
  EXPECT_EQ(exhausted.error(), esp::SealError::kSequenceExhausted);
}

}  // namespace
}  // namespace tandem::ipsec
