// Userspace segmentation and coalescing (packet/gso_segments.*, packet/tcp_coalesce.*): a TCP
// super-packet of about 64 KB, as a TUN read with TSO gives it, cut into segments for a 1420-byte
// tunnel MTU with every checksum computed; a train of those segments coalesced back into one
// super-packet for a TUN write (every segment's checksum verified first); and a UDP (USO)
// super-packet cut the same way. Bytes per second count the super-packet.
#include <benchmark/benchmark.h>

#include <span>
#include <vector>

#include "packet/checksum.hpp"
#include "packet/gso_segments.hpp"
#include "packet/tcp_coalesce.hpp"
#include "packet/tcp_test_packets.hpp"
#include "packet/udp_datagram.hpp"
#include "packet/virtio_net_header.hpp"

namespace tandem::bench {
namespace {

using packet::GsoSegments;
using packet::VirtioNetHeader;

constexpr std::size_t kTunnelMtu = 1420;
constexpr std::size_t kTcpHeader = 32;  // with the timestamps option, as Linux sends it
constexpr std::uint8_t kAck = 0x10;

std::size_t ip_header(bool v4) {
  return v4 ? 20 : 40;
}

// A super-packet and the virtio-net header the TUN device gives with it.
struct SuperPacket {
  VirtioNetHeader header;
  std::vector<std::byte> bytes;
};

// As the kernel's TCP builds one: the largest whole number of MSS-sized segments that fits
// 64 KB, checksum left partial for the offload (NEEDS_CSUM).
SuperPacket tcp_super_packet(bool v4) {
  const IpAddress src = v4 ? IpAddress::v4({10, 0, 0, 1}) : *IpAddress::parse("fd00::1");
  const IpAddress dst = v4 ? IpAddress::v4({10, 0, 0, 2}) : *IpAddress::parse("fd00::2");
  const std::size_t headers = ip_header(v4) + kTcpHeader;
  const std::size_t mss = kTunnelMtu - headers;
  const std::size_t room = packet::kMaxSuperPacket - (v4 ? headers : kTcpHeader);
  SuperPacket s;
  s.bytes = packet::testing::tcp_packet(src, dst, kAck, {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 9},
                                        room / mss * mss);  // NOP NOP timestamps
  s.header.flags = packet::kVirtioNetHdrFNeedsCsum;
  s.header.gso_type = v4 ? packet::kVirtioNetHdrGsoTcpV4 : packet::kVirtioNetHdrGsoTcpV6;
  s.header.gso_size = static_cast<std::uint16_t>(mss);
  s.header.hdr_len = static_cast<std::uint16_t>(headers);
  s.header.csum_start = static_cast<std::uint16_t>(ip_header(v4));
  s.header.csum_offset = 16;
  return s;
}

// A UDP super-packet (USO): datagrams of the tunnel MTU, the largest whole number that fits.
SuperPacket udp_super_packet(bool v4) {
  const Endpoint from = *Endpoint::parse(v4 ? "10.0.0.1:5000" : "[fd00::1]:5000");
  const Endpoint to = *Endpoint::parse(v4 ? "10.0.0.2:5001" : "[fd00::2]:5001");
  const std::size_t headers = packet::udp_headers_size(from.address.family());
  const std::size_t datagram = kTunnelMtu - headers;
  const std::size_t room = packet::kMaxSuperPacket - (v4 ? headers : packet::kUdpHeaderSize);
  SuperPacket s;
  s.bytes.resize(headers + room / datagram * datagram);
  packet::write_udp_headers(s.bytes, from, to, s.bytes.size() - headers);
  s.header.flags = packet::kVirtioNetHdrFNeedsCsum;
  s.header.gso_type = packet::kVirtioNetHdrGsoUdpL4;
  s.header.gso_size = static_cast<std::uint16_t>(datagram);
  s.header.hdr_len = static_cast<std::uint16_t>(headers);
  s.header.csum_start = static_cast<std::uint16_t>(ip_header(v4));
  s.header.csum_offset = 6;
  return s;
}

// Whether the transport checksum of `segment` (an IP packet) is right: summed with its
// pseudo-header, a correct one gives 0.
bool checksum_ok(ByteView segment, std::uint8_t protocol) {
  const std::size_t transport = ip_header((std::to_integer<int>(segment[0]) >> 4) == 4);
  const ByteView l4 = segment.subspan(transport);
  return packet::checksum_finish(packet::checksum_add(
             packet::pseudo_header_sum(segment, protocol, l4.size()), l4)) == 0;
}

// Segment buffers for every segment of `plan`, and the segments cut from `s` into them.
struct Segments {
  Segments(const SuperPacket& s, const GsoSegments& plan)
      : storage(plan.count(), std::vector<std::byte>(plan.max_size())), packets(plan.count()) {
    for (std::size_t i = 0; i < plan.count(); ++i) {
      packets[i].slot = storage[i].data();
      packets[i].slot_size = storage[i].size();
      packets[i].length = plan.write(s.bytes, i, storage[i]);
    }
  }
  bool checksums_ok(std::uint8_t protocol) const {
    for (const Packet& p : packets)
      if (!checksum_ok(p.bytes(), protocol)) return false;
    return true;
  }
  std::vector<std::vector<std::byte>> storage;
  std::vector<Packet> packets;
};

void BM_Segment(benchmark::State& state, bool v4, bool tcp) {
  const SuperPacket s = tcp ? tcp_super_packet(v4) : udp_super_packet(v4);
  const auto plan = GsoSegments::plan(s.header, s.bytes);
  if (!plan) {
    state.SkipWithError("the super-packet was refused");
    return;
  }
  Segments out(s, *plan);
  if (out.packets.size() < 40 || !out.checksums_ok(tcp ? 6 : packet::kProtocolUdp)) {
    state.SkipWithError("segments are missing or have bad checksums");
    return;
  }
  for (auto _ : state) {
    const auto p = GsoSegments::plan(s.header, s.bytes);
    for (std::size_t i = 0; i < p->count(); ++i) {
      const std::size_t n = p->write(s.bytes, i, out.storage[i]);
      benchmark::DoNotOptimize(n);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(plan->count()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(s.bytes.size()));
  state.counters["segments"] = static_cast<double>(plan->count());
}
BENCHMARK_CAPTURE(BM_Segment, tcp_v4, true, true);
BENCHMARK_CAPTURE(BM_Segment, tcp_v6, false, true);
BENCHMARK_CAPTURE(BM_Segment, udp_v4, true, false);
BENCHMARK_CAPTURE(BM_Segment, udp_v6, false, false);

void BM_TcpCoalesce(benchmark::State& state, bool v4) {
  const SuperPacket s = tcp_super_packet(v4);
  const auto plan = GsoSegments::plan(s.header, s.bytes);
  if (!plan) {
    state.SkipWithError("the super-packet was refused");
    return;
  }
  const Segments train(s, *plan);
  const std::span<const Packet> packets(train.packets);
  std::vector<std::byte> out(packet::kVirtioNetHeaderSize + packet::kMaxSuperPacket);
  const std::size_t run = packet::tcp_coalescible_run(packets, 0);
  if (run != packets.size() || packet::write_coalesced_tcp(packets.first(run), out) !=
                                   packet::kVirtioNetHeaderSize + s.bytes.size()) {
    state.SkipWithError("the segments did not coalesce back into the super-packet");
    return;
  }
  for (auto _ : state) {
    const std::size_t n = packet::tcp_coalescible_run(packets, 0);
    const std::size_t written = packet::write_coalesced_tcp(packets.first(n), out);
    benchmark::DoNotOptimize(written);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(packets.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(s.bytes.size()));
  state.counters["segments"] = static_cast<double>(packets.size());
}
BENCHMARK_CAPTURE(BM_TcpCoalesce, v4, true);
BENCHMARK_CAPTURE(BM_TcpCoalesce, v6, false);

}  // namespace
}  // namespace tandem::bench
