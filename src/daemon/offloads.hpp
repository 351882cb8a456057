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

#include <cerrno>
#include <nlohmann/json.hpp>
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

// Creates `name` with `mtu` (none: the kernel's default), with TUN offloads when wanted; logs
// when the kernel refuses them and the device works without. Its reader must drain a
// super-packet the device holds (TunDevice::has_pending) before waiting for the fd again.
Result<io::TunDevice, std::string> open_offloaded_tun(const std::string& name,
                                                      std::optional<unsigned> mtu);
// Reads `tun` into `batch`, handing each non-empty batch to `send`, until the device has nothing
// waiting, including the segments of a super-packet the batch had no room for (which epoll does
// not report). An error other than EAGAIN or EINTR means the device is gone.
template <typename Send>
Result<Ok, io::SysError> drain_tun(io::TunDevice& tun, io::PacketBatch& batch, Send&& send) {
  do {
    auto n = tun.read_batch(batch);
    if (!n) {
      if (n.error().code == EAGAIN || n.error().code == EINTR) return Ok{};
      return Err(n.error());
    }
    if (*n > 0) send(batch);
  } while (tun.has_pending());
  return Ok{};
}

// A device's offloads for a status document: whether it reads super-packets, how many it has
// read (and dropped as malformed).
nlohmann::json tun_offloads_json(const io::TunDevice& tun);
// Applies the UDP offloads wanted to `udp` (logging what the kernel refuses).
void apply_udp_offloads(io::UdpTransport& udp);

}  // namespace tandem::daemon
