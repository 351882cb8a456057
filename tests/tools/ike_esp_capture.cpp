// Writes a pcap of IKEv2 messages and ESP packets built by Tandem's codecs, for tshark to judge:
// IKE_SA_INIT both ways on UDP 500; an IKE_AUTH whose inner payloads (IDi, AUTH, CP, SA, TSi, TSr)
// are also sent once in the clear so tshark decodes their encoding, and once inside an SK payload
// on UDP 4500 behind the non-ESP marker; an INFORMATIONAL with Delete and Notify; ESP in
// transport mode as IP protocol 50 and UDP-encapsulated on 4500; IKEv1 Main Mode messages and an
// encrypted Quick Mode; and a NAT keepalive.
//
// Usage: ike_esp_capture OUT.pcap
#include <cstdio>
#include <vector>

#include "base/seeded_rng.hpp"
#include "ipsec/esp/sa.hpp"
#include "ipsec/esp/udp_encap.hpp"
#include "ipsec/ike/v1/message.hpp"
#include "ipsec/ike/v2/message.hpp"
#include "tools/pcap_writer.hpp"

using namespace tandem;
using namespace tandem::ipsec::ike::v2;
namespace esp = tandem::ipsec::esp;

namespace {

std::vector<std::byte> random_bytes(SeededRng& rng, std::size_t n) {
  std::vector<std::byte> v(n);
  rng.fill(v);
  return v;
}

SaPayload ike_proposals() {
  SaPayload sa;
  sa.proposals.push_back({1,
                          ProtocolId::kIke,
                          {},
                          {{TransformType::kEncr, 20, 256},
                           {TransformType::kPrf, 5, std::nullopt},
                           {TransformType::kDh, 19, std::nullopt}}});
  sa.proposals.push_back({2,
                          ProtocolId::kIke,
                          {},
                          {{TransformType::kEncr, 12, 128},
                           {TransformType::kPrf, 2, std::nullopt},
                           {TransformType::kInteg, 2, std::nullopt},
                           {TransformType::kDh, 14, std::nullopt}}});
  return sa;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.pcap\n", argv[0]);
    return 2;
  }
  tools::PcapWriter pcap(argv[1]);
  if (!pcap.ok()) return 1;
  SeededRng rng(7);
  const Endpoint i500{*IpAddress::parse("192.0.2.1"), 500};
  const Endpoint r500{*IpAddress::parse("192.0.2.2"), 500};
  const Endpoint i4500{*IpAddress::parse("192.0.2.1"), 4500};
  const Endpoint r4500{*IpAddress::parse("192.0.2.2"), 4500};
  std::uint32_t clock = 0;
  const std::uint64_t spi_i = 0x1a2b3c4d5e6f7081ULL;
  const std::uint64_t spi_r = 0x8877665544332211ULL;

  Message init;
  init.header = {spi_i, 0, ExchangeType::kIkeSaInit, true, false, 0};
  init.payloads = {ike_proposals(), KePayload{19, random_bytes(rng, 64)},
                   NoncePayload{random_bytes(rng, 32)},
                   NotifyPayload{ProtocolId::kNone, {}, 16388, random_bytes(rng, 20)},
                   NotifyPayload{ProtocolId::kNone, {}, 16389, random_bytes(rng, 20)}};
  pcap.udp(i500, r500, encode_message(init), clock += 1000);

  Message init_reply;
  init_reply.header = {spi_i, spi_r, ExchangeType::kIkeSaInit, false, true, 0};
  SaPayload chosen = ike_proposals();
  chosen.proposals.resize(1);
  init_reply.payloads = {chosen, KePayload{19, random_bytes(rng, 64)},
                         NoncePayload{random_bytes(rng, 32)},
                         NotifyPayload{ProtocolId::kNone, {}, 16388, random_bytes(rng, 20)},
                         NotifyPayload{ProtocolId::kNone, {}, 16389, random_bytes(rng, 20)}};
  pcap.udp(r500, i500, encode_message(init_reply), clock += 1000);

  // IKE_AUTH's inner payloads, in the clear so their encoding can be decoded.
  const TrafficSelector any{0, 0, 65535, *IpAddress::parse("0.0.0.0"),
                            *IpAddress::parse("255.255.255.255")};
  const TrafficSelector l2tp{17, 1701, 1701, *IpAddress::parse("192.0.2.1"),
                             *IpAddress::parse("192.0.2.1")};
  std::vector<Payload> inner = {
      IdPayload{true,
                2,
                {std::byte{'c'}, std::byte{'l'}, std::byte{'i'}, std::byte{'e'}, std::byte{'n'},
                 std::byte{'t'}}},
      AuthPayload{2, random_bytes(rng, 32)},
      ConfigPayload{1, {{1, {}}, {3, {}}}},
      SaPayload{{{1,
                  ProtocolId::kEsp,
                  random_bytes(rng, 4),
                  {{TransformType::kEncr, 20, 128}, {TransformType::kEsn, 0, std::nullopt}}}}},
      TsPayload{true, {any, l2tp}},
      TsPayload{false, {any}},
  };
  Message auth_clear;
  auth_clear.header = {spi_i, spi_r, ExchangeType::kIkeAuth, true, false, 1};
  auth_clear.payloads = inner;
  pcap.udp(i500, r500, encode_message(auth_clear), clock += 1000);

  // The real form: the same payloads inside SK (here random bytes standing for IV, ciphertext
  // and ICV), on port 4500 after the non-ESP marker.
  PayloadType first = PayloadType::kNone;
  (void)encode_payloads(inner, first);
  Message auth;
  auth.header = {spi_i, spi_r, ExchangeType::kIkeAuth, true, false, 1};
  auth.payloads = {EncryptedPayload{first, random_bytes(rng, 8 + 160 + 16)}};
  std::vector<std::byte> natt(esp::kNonEspMarker.begin(), esp::kNonEspMarker.end());
  const auto auth_bytes = encode_message(auth);
  natt.insert(natt.end(), auth_bytes.begin(), auth_bytes.end());
  pcap.udp(i4500, r4500, natt, clock += 1000);

  Message info;
  info.header = {spi_i, spi_r, ExchangeType::kInformational, false, false, 2};
  info.payloads = {NotifyPayload{ProtocolId::kNone, {}, 16384, {}},  // INITIAL_CONTACT
                   DeletePayload{ProtocolId::kEsp, 4, {random_bytes(rng, 4)}}};
  pcap.udp(r500, i500, encode_message(info), clock += 1000);

  // ESP, transport mode, carrying a UDP datagram to port 1701.
  esp::SaKeys keys{esp::Cipher::kAesGcm16, random_bytes(rng, 20), esp::Integrity::kNone, {}};
  auto out = esp::OutboundSa::create(0xc0ffee01, keys);
  if (!out) return 1;
  for (bool encapsulated : {false, true}) {
    std::vector<std::byte> slot(256);
    std::vector<std::byte> udp(8 + 12, std::byte{0x42});
    store_be16(udp.data(), 1701);
    store_be16(udp.data() + 2, 1701);
    store_be16(udp.data() + 4, static_cast<std::uint16_t>(udp.size()));
    store_be16(udp.data() + 6, 0);
    std::copy(udp.begin(), udp.end(), slot.begin() + 64);
    Packet p{slot.data(), slot.size(), 64, udp.size(), {}};
    if (!out->seal(p, esp::kNextUdp, rng)) return 1;
    if (encapsulated)
      pcap.udp(i4500, r4500, p.bytes(), clock += 1000);
    else
      pcap.ip(50, i500.address, r500.address, p.bytes(), clock += 1000);
  }
  // IKEv1: a Windows-like Main Mode offer with NAT-T vendor IDs, the responder's Main Mode
  // KE/Nonce/NAT-D message, and an encrypted Quick Mode message on 4500.
  namespace v1 = tandem::ipsec::ike::v1;
  auto attr = [](std::uint16_t type, std::uint16_t value) {
    return v1::Attribute{type, true, value, {}};
  };
  v1::Message mm;
  mm.header = {0x0123456789abcdefULL, 0, v1::ExchangeType::kIdentityProtection, false, false, 0};
  v1::SaPayload offer;
  offer.proposals.push_back({1,
                             1,
                             {},
                             {{1,
                               1,
                               {attr(1, 7), attr(14, 256), attr(2, 4), attr(3, 1), attr(4, 20),
                                attr(11, 1), attr(12, 28800)}},
                              {2,
                               1,
                               {attr(1, 7), attr(14, 128), attr(2, 2), attr(3, 1), attr(4, 14),
                                attr(11, 1), attr(12, 28800)}}}});
  mm.payloads = {offer, v1::VendorPayload{
                            {std::byte{0x4a}, std::byte{0x13}, std::byte{0x1c}, std::byte{0x81},
                             std::byte{0x07}, std::byte{0x03}, std::byte{0x58}, std::byte{0x45},
                             std::byte{0x5c}, std::byte{0x57}, std::byte{0x28}, std::byte{0xf2},
                             std::byte{0x0e}, std::byte{0x95}, std::byte{0x45}, std::byte{0x2f}}}};
  pcap.udp(i500, r500, v1::encode_message(mm), clock += 1000);
  v1::Message mm3;
  mm3.header = {0x0123456789abcdefULL,
                0xfedcba9876543210ULL,
                v1::ExchangeType::kIdentityProtection,
                false,
                false,
                0};
  mm3.payloads = {v1::KePayload{random_bytes(rng, 96)}, v1::NoncePayload{random_bytes(rng, 32)},
                  v1::NatDPayload{random_bytes(rng, 20)}, v1::NatDPayload{random_bytes(rng, 20)}};
  pcap.udp(i500, r500, v1::encode_message(mm3), clock += 1000);
  v1::Message qm;
  qm.header = {0x0123456789abcdefULL,
               0xfedcba9876543210ULL,
               v1::ExchangeType::kQuickMode,
               true,
               false,
               0x11223344};
  qm.first = v1::PayloadType::kHash;
  qm.encrypted = random_bytes(rng, 160);
  std::vector<std::byte> qm_natt(esp::kNonEspMarker.begin(), esp::kNonEspMarker.end());
  const auto qm_bytes = v1::encode_message(qm);
  qm_natt.insert(qm_natt.end(), qm_bytes.begin(), qm_bytes.end());
  pcap.udp(i4500, r4500, qm_natt, clock += 1000);

  const std::vector<std::byte> keepalive{esp::kKeepaliveByte};
  pcap.udp(i4500, r4500, keepalive, clock += 1000);
  return 0;
}
