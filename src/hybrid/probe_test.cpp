// In-tunnel probes: the exact bytes of a request and a reply, round trips at the sizes paths
// probe, and every way parse_probe must refuse a packet that is not an intact probe.
#include "hybrid/probe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "base/test_bytes.hpp"
#include "packet/checksum.hpp"

namespace tandem::hybrid {
namespace {

using testing::bytes;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

ProbeMessage sample_message() {
  ProbeMessage m;
  m.path_tag = 0xa1b2c3d4;
  m.sequence = 42;
  m.sent_ns = 1234567890123;
  return m;
}

std::vector<std::byte> request(const char* from, const char* to, std::size_t ip_size) {
  std::vector<std::byte> out(ip_size);
  const std::size_t n =
      build_probe_request(out, ip(from), 40000, ip(to), sample_message(), ip_size);
  EXPECT_EQ(n, ip_size);
  return out;
}

std::size_t ip_header_size(const std::vector<std::byte>& p) {
  return (std::to_integer<unsigned>(p[0]) >> 4) == 4 ? (std::to_integer<unsigned>(p[0]) & 0xf) * 4
                                                     : 40;
}

// Recomputes both checksums after a test has changed a field, so that parse_probe refuses the
// packet for that field and not for a stale checksum.
void reseal(std::vector<std::byte>& p) {
  const std::size_t header = ip_header_size(p);
  const bool v4 = header != 40;
  if (v4) {
    store_be16(p.data() + 10, 0);
    store_be16(p.data() + 10, packet::internet_checksum(std::span(p).first(header)));
  }
  const std::size_t address_size = v4 ? 4 : 16;
  const std::size_t source_at = v4 ? 12 : 8;
  auto address = [&](std::size_t at) {
    std::array<std::uint8_t, 16> b{};
    std::transform(p.begin() + at, p.begin() + at + address_size, b.begin(),
                   [](std::byte x) { return std::to_integer<std::uint8_t>(x); });
    return v4 ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  };
  const auto udp = std::span(p).subspan(header);
  store_be16(udp.data() + 6, 0);
  store_be16(udp.data() + 6,
             packet::udp_checksum(address(source_at), address(source_at + address_size), udp));
}

void expect_sample_message(const ProbeMessage& m) {
  EXPECT_EQ(m.path_tag, 0xa1b2c3d4u);
  EXPECT_EQ(m.sequence, 42u);
  EXPECT_EQ(m.sent_ns, 1234567890123u);
}

// Expected bytes computed independently with Python 3 (struct.pack of the layouts in RFC 791,
// RFC 8200, RFC 768 and probe.hpp, checksums summed in Python) and accepted by tshark with
// ip.check_checksum and udp.check_checksum on.
const std::vector<std::byte> kIpv4Request = bytes({
    0x45, 0x00, 0x00, 0x3e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x26, 0x13, 0x0a, 0x4d, 0x00, 0x02,
    0x0a, 0x4d, 0x00, 0x01, 0x9c, 0x40, 0x00, 0x07, 0x00, 0x2a, 0x45, 0x00, 0x54, 0x4e, 0x44, 0x4d,
    0x50, 0x52, 0x42, 0x31, 0x01, 0x00, 0x00, 0x00, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x01, 0x1f, 0x71, 0xfb, 0x04, 0xcb, 0x00, 0x00,
});
const std::vector<std::byte> kIpv6Request = bytes({
    0x60, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x11, 0x40, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfd, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9c, 0x40,
    0x00, 0x07, 0x00, 0x2a, 0x5f, 0x98, 0x54, 0x4e, 0x44, 0x4d, 0x50, 0x52, 0x42, 0x31,
    0x01, 0x00, 0x00, 0x00, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x2a, 0x00, 0x00, 0x01, 0x1f, 0x71, 0xfb, 0x04, 0xcb, 0x00, 0x00,
});
// The reply to kIpv4Request after it arrived padded to 1420 bytes.
const std::vector<std::byte> kIpv4Reply = bytes({
    0x45, 0x00, 0x00, 0x3e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x26, 0x13, 0x0a, 0x4d, 0x00, 0x01,
    0x0a, 0x4d, 0x00, 0x02, 0x00, 0x07, 0x9c, 0x40, 0x00, 0x2a, 0x3e, 0x74, 0x54, 0x4e, 0x44, 0x4d,
    0x50, 0x52, 0x42, 0x31, 0x02, 0x00, 0x00, 0x00, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x01, 0x1f, 0x71, 0xfb, 0x04, 0xcb, 0x05, 0x8c,
});

TEST(Probe, MinimumSizesAreHeadersPlusPayload) {
  EXPECT_EQ(probe_min_size(IpAddress::Family::kV4), 20u + 8u + kProbePayloadSize);
  EXPECT_EQ(probe_min_size(IpAddress::Family::kV6), 40u + 8u + kProbePayloadSize);
}

TEST(Probe, BuildsTheKnownIpv4Request) {
  EXPECT_EQ(request("10.77.0.2", "10.77.0.1", 62), kIpv4Request);
}

TEST(Probe, BuildsTheKnownIpv6Request) {
  EXPECT_EQ(request("fd00::2", "fd00::1", 82), kIpv6Request);
}

TEST(Probe, BuildsTheKnownReplyCarryingTheRequestSize) {
  const auto parsed = parse_probe(kIpv4Request);
  ASSERT_TRUE(parsed);
  std::vector<std::byte> out(100);
  out.resize(build_probe_reply(out, *parsed, 1420));
  EXPECT_EQ(out, kIpv4Reply);
}

TEST(Probe, RequestsRoundTripAtEveryProbedSize) {
  for (const char* from : {"10.77.0.2", "fd00::2"}) {
    const IpAddress source = ip(from);
    const IpAddress destination = ip(source.is_v4() ? "10.77.0.1" : "fd00::1");
    for (std::size_t size : {probe_min_size(source.family()), std::size_t{1280}, std::size_t{1420},
                             std::size_t{9000}}) {
      SCOPED_TRACE(::testing::Message() << from << " " << size);
      std::vector<std::byte> out(size + 16, std::byte{0xee});
      ASSERT_EQ(build_probe_request(out, source, 40000, destination, sample_message(), size), size);
      EXPECT_TRUE(std::all_of(out.begin() + size, out.end(), [](std::byte b) {
        return b == std::byte{0xee};
      })) << "wrote past the probe";
      EXPECT_TRUE(std::all_of(out.begin() + probe_min_size(source.family()), out.begin() + size,
                              [](std::byte b) { return b == std::byte{0}; }))
          << "padding is zeros";
      const auto parsed = parse_probe(std::span(out).first(size));
      ASSERT_TRUE(parsed);
      EXPECT_EQ(parsed->message.type, ProbeType::kRequest);
      expect_sample_message(parsed->message);
      EXPECT_EQ(parsed->source, source);
      EXPECT_EQ(parsed->destination, destination);
      EXPECT_EQ(parsed->source_port, 40000);
      EXPECT_EQ(parsed->destination_port, kProbePort);
    }
  }
}

TEST(Probe, Ipv4RequestHasDontFragmentTtl64AndAValidHeaderChecksum) {
  const auto p = request("10.77.0.2", "10.77.0.1", 1420);
  EXPECT_EQ(p[0], std::byte{0x45});
  EXPECT_EQ(load_be16(p.data() + 2), 1420);
  EXPECT_EQ(load_be16(p.data() + 4), 0) << "identification";
  EXPECT_EQ(load_be16(p.data() + 6), 0x4000) << "DF, no fragment offset";
  EXPECT_EQ(p[8], std::byte{64});
  EXPECT_EQ(p[9], std::byte{17});
  EXPECT_EQ(packet::internet_checksum(std::span(p).first(20)), 0);
}

TEST(Probe, Ipv6RequestHasHopLimit64AndItsUdpChecksumSet) {
  const auto p = request("fd00::2", "fd00::1", 1280);
  EXPECT_EQ(p[0], std::byte{0x60});
  EXPECT_EQ(load_be16(p.data() + 4), 1280 - 40);
  EXPECT_EQ(p[6], std::byte{17});
  EXPECT_EQ(p[7], std::byte{64});
  EXPECT_NE(load_be16(p.data() + 40 + 6), 0);
}

TEST(Probe, ReplyToAParsedRequestSwapsAddressesAndPortsAndIsUnpadded) {
  for (const char* from : {"10.77.0.2", "fd00::2"}) {
    SCOPED_TRACE(from);
    const IpAddress source = ip(from);
    const auto req = request(from, source.is_v4() ? "10.77.0.1" : "fd00::1", 9000);
    const auto parsed_request = parse_probe(req);
    ASSERT_TRUE(parsed_request);
    std::vector<std::byte> out(9000);
    const std::size_t n = build_probe_reply(out, *parsed_request, req.size());
    ASSERT_EQ(n, probe_min_size(source.family()));
    const auto reply = parse_probe(std::span(out).first(n));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->message.type, ProbeType::kReply);
    expect_sample_message(reply->message);
    EXPECT_EQ(reply->message.request_size, 9000);
    EXPECT_EQ(reply->source, parsed_request->destination);
    EXPECT_EQ(reply->destination, parsed_request->source);
    EXPECT_EQ(reply->source_port, kProbePort);
    EXPECT_EQ(reply->destination_port, 40000);
  }
}

TEST(Probe, AnMtuProbeIsAnsweredAtItsOwnSize) {
  for (const char* from : {"10.77.0.2", "fd00::2"}) {
    SCOPED_TRACE(from);
    const IpAddress source = ip(from);
    ProbeMessage m = sample_message();
    m.flags = kProbeFlagMtu | 0x80;  // and a flag this version does not know
    std::vector<std::byte> req(1400);
    ASSERT_EQ(build_probe_request(req, source, 40000, ip(source.is_v4() ? "10.77.0.1" : "fd00::1"),
                                  m, 1337),
              1337u);
    req.resize(1337);
    const auto parsed = parse_probe(req);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->message.flags, kProbeFlagMtu | 0x80);
    std::vector<std::byte> out(2048);
    const std::size_t n = build_probe_reply(out, *parsed, req.size());
    ASSERT_EQ(n, 1337u) << "the reply tests the way back at the same size";
    const auto reply = parse_probe(std::span(out).first(n));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->message.flags, kProbeFlagMtu) << "only the flags this version knows";
    EXPECT_EQ(reply->message.sequence, m.sequence);
    EXPECT_EQ(reply->message.request_size, 1337);
    EXPECT_EQ(build_probe_reply(std::span(out).first(1336), *parsed, req.size()), 0u)
        << "no room for the padded reply: nothing";
  }
}

TEST(Probe, BuildingIntoATooSmallBufferWritesNothing) {
  std::vector<std::byte> out(1419, std::byte{0xee});
  EXPECT_EQ(
      build_probe_request(out, ip("10.77.0.2"), 40000, ip("10.77.0.1"), sample_message(), 1420),
      0u);
  const auto parsed = parse_probe(kIpv6Request);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(build_probe_reply(std::span(out).first(81), *parsed, 82), 0u);
  EXPECT_TRUE(
      std::all_of(out.begin(), out.end(), [](std::byte b) { return b == std::byte{0xee}; }));
}

TEST(Probe, RefusesToBuildImpossibleSizes) {
  std::vector<std::byte> out(70000);
  const auto m = sample_message();
  EXPECT_EQ(build_probe_request(out, ip("10.77.0.2"), 1, ip("10.77.0.1"), m, 61), 0u);
  EXPECT_EQ(build_probe_request(out, ip("fd00::2"), 1, ip("fd00::1"), m, 81), 0u);
  EXPECT_EQ(build_probe_request(out, ip("10.77.0.2"), 1, ip("10.77.0.1"), m, 65536), 0u);
  EXPECT_EQ(build_probe_request(out, ip("fd00::2"), 1, ip("fd00::1"), m, 40 + 65536), 0u);
  EXPECT_EQ(build_probe_request(out, ip("10.77.0.2"), 1, ip("fd00::1"), m, 100), 0u)
      << "mixed families";
  EXPECT_EQ(build_probe_request(out, ip("10.77.0.2"), 1, ip("10.77.0.1"), m, 65535), 65535u);
  EXPECT_EQ(build_probe_request(out, ip("fd00::2"), 1, ip("fd00::1"), m, 40 + 65535), 40u + 65535);
}

TEST(Probe, AReplyToAnOversizedIpv6RequestSaturatesRequestSize) {
  const auto parsed = parse_probe(kIpv6Request);
  ASSERT_TRUE(parsed);
  std::vector<std::byte> out(82);
  ASSERT_EQ(build_probe_reply(out, *parsed, 40 + 65535), 82u);
  EXPECT_EQ(parse_probe(out)->message.request_size, 0xffff);
}

TEST(Probe, RefusesEveryTruncation) {
  for (const auto* p : {&kIpv4Request, &kIpv6Request, &kIpv4Reply}) {
    for (std::size_t n = 0; n < p->size(); ++n)
      EXPECT_FALSE(parse_probe(std::span(*p).first(n))) << "first " << n << " bytes";
  }
}

TEST(Probe, AcceptsLinkPaddingAfterThePacket) {
  auto p = kIpv4Request;
  p.resize(p.size() + 6, std::byte{0x55});
  EXPECT_TRUE(parse_probe(p));
}

TEST(Probe, RefusesAFlippedPayloadByte) {
  for (auto p : {request("10.77.0.2", "10.77.0.1", 1280), request("fd00::2", "fd00::1", 1280)}) {
    const std::size_t payload = ip_header_size(p) + 8;
    ASSERT_TRUE(parse_probe(p));
    auto sequence = p;
    sequence[payload + 23] ^= std::byte{0x01};
    EXPECT_FALSE(parse_probe(sequence));
    auto padding = p;
    padding[1000] ^= std::byte{0x80};
    EXPECT_FALSE(parse_probe(padding));
  }
}

TEST(Probe, AcceptsAnIpv4ProbeWithoutUdpChecksumButNotAnIpv6One) {
  auto v4 = kIpv4Request;
  store_be16(v4.data() + 26, 0);
  EXPECT_TRUE(parse_probe(v4)) << "0 means no checksum over IPv4 (RFC 768)";
  auto v6 = kIpv6Request;
  store_be16(v6.data() + 46, 0);
  EXPECT_FALSE(parse_probe(v6)) << "IPv6 receivers discard a zero UDP checksum (RFC 8200 8.1)";
}

TEST(Probe, RefusesOrdinaryUdpToTheEchoPort) {
  auto p = kIpv4Request;
  const auto text = as_bytes("an ordinary echo request, not ours");
  std::copy(text.begin(), text.end(), p.begin() + 28);
  reseal(p);
  EXPECT_FALSE(parse_probe(p));
}

TEST(Probe, RefusesAWrongMagic) {
  auto p = kIpv6Request;
  p[48 + 7] = std::byte{'2'};
  reseal(p);
  EXPECT_FALSE(parse_probe(p));
}

TEST(Probe, RefusesAnUnknownType) {
  for (int type : {0, 3, 0xff}) {
    auto p = kIpv4Request;
    p[28 + 8] = std::byte(type);
    reseal(p);
    EXPECT_FALSE(parse_probe(p)) << type;
  }
}

TEST(Probe, IgnoresUnknownFlagsAndReadsTheHeldMtu) {
  auto p = kIpv4Request;
  p[28 + 9] = std::byte{0x80};
  store_be16(p.data() + 28 + 10, 1340);
  reseal(p);
  const auto parsed = parse_probe(p);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->message.held_mtu, 1340);
  std::vector<std::byte> out(200);
  ASSERT_NE(build_probe_reply(out, *parsed, p.size()), 0u);
  EXPECT_EQ(parse_probe(out)->message.held_mtu, 0) << "a reply says nothing of its own path";
}

TEST(Probe, RefusesARequestNotToTheProbePort) {
  auto p = kIpv4Request;
  store_be16(p.data() + 22, 8);
  reseal(p);
  EXPECT_FALSE(parse_probe(p));
}

TEST(Probe, RefusesAReplyNotFromTheProbePort) {
  auto p = kIpv4Reply;
  store_be16(p.data() + 20, 8);
  store_be16(p.data() + 22, kProbePort);
  reseal(p);
  EXPECT_FALSE(parse_probe(p));
}

TEST(Probe, RefusesFragments) {
  for (int flags : {0x2000, 0x6000, 0x0001, 0x4001, 0x1fff}) {
    auto p = kIpv4Request;
    store_be16(p.data() + 6, static_cast<std::uint16_t>(flags));
    reseal(p);
    EXPECT_FALSE(parse_probe(p)) << std::hex << flags;
  }
}

TEST(Probe, AcceptsAnIpv4ProbeWithoutDontFragment) {
  auto p = kIpv4Request;
  store_be16(p.data() + 6, 0);
  reseal(p);
  EXPECT_TRUE(parse_probe(p));
}

TEST(Probe, AcceptsIpv4WithOptions) {
  // Four NOP options (RFC 791) make a 6-word header; the UDP datagram follows them.
  auto p = kIpv4Request;
  p.insert(p.begin() + 20, 4, std::byte{0x01});
  p[0] = std::byte{0x46};
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  reseal(p);
  const auto parsed = parse_probe(p);
  ASSERT_TRUE(parsed);
  expect_sample_message(parsed->message);
  EXPECT_EQ(parsed->source, ip("10.77.0.2"));
  EXPECT_EQ(parsed->source_port, 40000);
}

TEST(Probe, RefusesACorruptIpv4HeaderChecksum) {
  auto p = kIpv4Request;
  p[10] ^= std::byte{0x01};
  EXPECT_FALSE(parse_probe(p));
}

TEST(Probe, RefusesAUdpLengthThatDisagreesWithTheIpLength) {
  for (const auto* original : {&kIpv4Request, &kIpv6Request}) {
    for (int delta : {-1, +1}) {
      auto p = *original;
      const std::size_t at = ip_header_size(p) + 4;
      store_be16(p.data() + at, static_cast<std::uint16_t>(load_be16(p.data() + at) + delta));
      reseal(p);
      EXPECT_FALSE(parse_probe(p)) << delta;
    }
  }
}

TEST(Probe, RefusesOtherProtocols) {
  auto v4 = kIpv4Request;
  v4[9] = std::byte{6};  // TCP
  reseal(v4);
  EXPECT_FALSE(parse_probe(v4));
  auto v6 = kIpv6Request;
  v6[6] = std::byte{0};  // a hop-by-hop options header first
  EXPECT_FALSE(parse_probe(v6));
}

}  // namespace
}  // namespace tandem::hybrid
