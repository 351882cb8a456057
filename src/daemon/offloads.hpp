// Which data-path offloads a WireGuard or hybrid interface uses: TUN super-packets (IFF_VNET_HDR
// with TSO/USO reads and coalesced TCP writes, io/tun_device.hpp), UDP GSO sends and UDP GRO
// receives (io/udp_socket.hpp). TUN offloads and UDP GSO are on unless TANDEM_OFFLOADS in the
// environment says otherwise: "off" for none, or a comma-separated list of those to use
// ("tun,gso,gro"), to compare them or to see the tunnel one packet at a time (a capture on the
// TUN device shows super-packets otherwise). UDP GRO is only on when listed: in the benchmark
// (bench/wg_throughput.sh, docs/PERFORMANCE.md) it saved a little CPU for no clear gain in
// throughput, and pings through the tunnel were slower in every run, for reasons not understood
// yet.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "io/tun_device.hpp"
#include "io/udp_transport.hpp"

namespace tandem::daemon {

struct Offloads {
  bool tun = true;
  bool gso = true;
  bool gro = false;
};

// `text` as TANDEM_OFFLOADS gives it (nullopt: unset); an unknown word in a list is ignored.
Offloads parse_offloads(std::optional<std::string_view> text);
// From the environment, read once.
const Offloads& offloads();

// Creates `name` with `mtu`, with TUN offloads when wanted; logs when the kernel refuses them
// and the device works without.
Result<io::TunDevice, std::string> open_offloaded_tun(const std::string& name, unsigned mtu);
// Applies the UDP offloads wanted to `udp` (logging what the kernel refuses).
void apply_udp_offloads(io::UdpTransport& udp);

}  // namespace tandem::daemon
