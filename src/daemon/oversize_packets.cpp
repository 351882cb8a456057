#include "daemon/oversize_packets.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <span>

#include "io/system_clock.hpp"
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

nlohmann::json too_big_json(const OversizeTally& tally) {
  return {{"icmp", tally.icmp}, {"fragmented", tally.fragmented}, {"dropped", tally.dropped}};
}

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

std::vector<TooBigReport> take_too_big_reports(io::UdpSocket& socket, std::string_view log_prefix) {
  std::vector<TooBigReport> reports;
  std::array<io::DeliveryError, 16> errors;
  auto n = socket.read_errors(errors);
  if (!n) {
    spdlog::debug("{}reading the socket's error queue: {}", log_prefix, n.error().text());
    return reports;
  }
  for (std::size_t i = 0; i < *n; ++i) {
    const io::DeliveryError& e = errors[i];
    std::string by = e.reported_by ? e.reported_by->to_string() : "this host";
    if (!e.too_big) {
      spdlog::debug("{}datagram to {} not delivered ({}, reported by {})", log_prefix,
                    e.destination.to_string(), std::strerror(e.error), by);
      continue;
    }
    std::size_t mtu = e.path_mtu;
    if (mtu == 0) {
      auto cached = socket.path_mtu(e.destination);
      if (!cached) continue;
      mtu = *cached;
    }
    spdlog::debug("{}datagram to {} too big for a path of {} bytes (reported by {})", log_prefix,
                  e.destination.to_string(), mtu, by);
    reports.push_back({e.destination, mtu, std::move(by)});
  }
  return reports;
}

void learn_underlay_mtus(io::UdpSocket& socket, hybrid::UnderlayMtus& paths,
                         std::string_view log_prefix) {
  const TimePoint now = io::SystemClock::now();
  for (const auto& r : take_too_big_reports(socket, log_prefix))
    if (paths.report(r.destination.address, r.path_mtu, now))
      spdlog::warn(
          "{}the underlay towards {} carries only {}-byte datagrams (reported by {}): "
          "inner packets to it are held to what fits",
          log_prefix, r.destination.address.to_string(), *paths.lookup(r.destination.address, now),
          r.reported_by);
}

}  // namespace tandem::daemon
