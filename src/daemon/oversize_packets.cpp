#include "daemon/oversize_packets.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <span>

#include "packet/icmp_too_big.hpp"
#include "packet/ip_packet.hpp"
#include "packet/ipv4_fragment.hpp"

namespace tandem::daemon {
namespace {

// Each fragment goes straight into a free slot of `out`; all or none.
bool fragment_into(io::PacketBatch& out, ByteView packet, std::size_t mtu) {
  std::array<MutableByteView, kMaxFragmentsPerPacket> slots;
  std::array<std::size_t, kMaxFragmentsPerPacket> lengths{};
  const std::size_t room = std::min(kMaxFragmentsPerPacket, out.capacity() - out.size());
  const std::size_t first = out.size();
  for (std::size_t k = 0; k < room; ++k) slots[k] = out.push_back().room();
  const std::size_t n = packet::fragment_ipv4(packet, mtu, std::span(slots.data(), room),
                                              std::span(lengths.data(), room));
  for (std::size_t k = 0; k < n; ++k) out[first + k].length = lengths[k];
  out.resize(first + n);
  return n > 0;
}

}  // namespace

std::optional<IpAddress> oversize_error_source(ByteView packet) {
  const auto header = packet::parse_ip_header(packet);
  if (!header) return std::nullopt;
  return IpAddress::from_bytes(header->destination, header->family);
}

void handle_oversize_packet(ByteView packet, std::size_t mtu, io::TunDevice& tun,
                            io::PacketBatch& fragments, OversizeTally& tally) {
  const packet::TooBig verdict = packet::classify_for_mtu(packet, mtu);
  if (verdict == packet::TooBig::kFits) return;  // not the caller's case; nothing to do
  if (verdict == packet::TooBig::kFragment && fragment_into(fragments, packet, mtu)) {
    ++tally.fragmented;
    return;
  }
  std::array<std::byte, packet::kIcmpv6ErrorMaxSize + 64> error{};
  const auto from = oversize_error_source(packet);
  const std::size_t n =
      from ? packet::build_packet_too_big(error, packet, mtu, *from) : std::size_t{0};
  if (n == 0) {
    ++tally.dropped;
    return;
  }
  if (auto ok = tun.write(ByteView(error.data(), n)); !ok)
    spdlog::debug("TUN write: {}", ok.error().text());
  ++tally.icmp;
}

}  // namespace tandem::daemon
