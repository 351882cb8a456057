// What a data path does with an inner packet larger than the path it is for (the MTU budget in
// the design notes): an IPv4 packet without DF is fragmented to fit; any other is answered from
// inside the tunnel with ICMP fragmentation-needed (IPv4) or packet-too-big (IPv6) carrying the
// path's MTU, written to the TUN device so the sender's path MTU follows. Never dropped
// silently: what can be neither (not an IP packet, an ICMP error itself, no room for the
// fragments) is counted as dropped.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "hybrid/underlay_mtus.hpp"
#include "io/packet_batch.hpp"
#include "io/tun_device.hpp"
#include "io/udp_socket.hpp"

namespace tandem::daemon {

struct OversizeTally {
  std::uint64_t icmp = 0;        // answered with ICMP
  std::uint64_t fragmented = 0;  // split into fragments
  std::uint64_t dropped = 0;     // neither possible

  bool any() const { return icmp + fragmented + dropped != 0; }
  void add(const OversizeTally& other) {
    icmp += other.icmp;
    fragmented += other.fragmented;
    dropped += other.dropped;
  }
};

// {"icmp": n, "fragmented": n, "dropped": n} for status documents.
nlohmann::json too_big_json(const OversizeTally& tally);

// At most this many fragments of one packet: 64 KB in fragments of 1280 bytes and more.
inline constexpr std::size_t kMaxFragmentsPerPacket = 52;

// `packet` is larger than `mtu`: appends its fragments to `fragments` (into free slots, none when
// they do not all fit) or writes the ICMP error answering it to `tun`, and counts which.
void handle_oversize_packet(ByteView packet, std::size_t mtu, io::TunDevice& tun,
                            io::PacketBatch& fragments, OversizeTally& tally);

// Where such an error comes from: the far end of the tunnel the packet could not take, i.e. the
// packet's destination. An address of this node would not do: when the sender is this host, the
// kernel drops an ICMP error from one of its own addresses as a martian.
std::optional<IpAddress> oversize_error_source(ByteView packet);

// A datagram of ours to `destination` did not fit a path of `path_mtu` bytes (underlay path MTU
// discovery on a socket: UdpSocket::enable_path_mtu_discovery).
struct TooBigReport {
  Endpoint destination;
  std::size_t path_mtu = 0;
  std::string reported_by;  // the router's address, or "this host"
};

// Takes up to 16 queued delivery errors of `socket` (call on EPOLLERR) and returns the too-big
// ones; a report naming no MTU (a router from before RFC 1191) takes the kernel's estimate. The
// others (unreachable, ...) are logged at debug level after `log_prefix`.
std::vector<TooBigReport> take_too_big_reports(io::UdpSocket& socket, std::string_view log_prefix);

// take_too_big_reports() into `paths`, logging each peer whose path MTU fell (after `log_prefix`,
// e.g. "IPsec: ").
void learn_underlay_mtus(io::UdpSocket& socket, hybrid::UnderlayMtus& paths,
                         std::string_view log_prefix);

}  // namespace tandem::daemon
