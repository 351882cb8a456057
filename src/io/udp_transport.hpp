// The pair of UDP sockets a WireGuard-style endpoint listens on: IPv4 and IPv6 on one port, as
// wireguard-go's StdNetBind does. Sends are routed to the socket of the destination's family.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "io/udp_socket.hpp"

namespace tandem::io {

class UdpTransport {
 public:
  // Opens both families on `port`. With port 0 the IPv4 socket lets the kernel choose P and the
  // IPv6 socket then binds P too; if P is taken for IPv6 the pair is retried (up to 100 times,
  // as wireguard-go does). A host without IPv6 (or IPv4) gets just the other family.
  static Result<UdpTransport, std::string> open(std::uint16_t port, std::uint32_t fwmark = 0);

  std::uint16_t port() const { return port_; }
  std::uint32_t fwmark() const { return fwmark_; }
  // Null when that family is unavailable on this host.
  UdpSocket* v4() { return v4_ ? &*v4_ : nullptr; }
  UdpSocket* v6() { return v6_ ? &*v6_ : nullptr; }
  UdpSocket* socket_for(IpAddress::Family family) {
    return family == IpAddress::Family::kV4 ? v4() : v6();
  }

  Result<Ok, std::string> set_fwmark(std::uint32_t mark);
  // UdpSocket::enable_path_mtu_discovery on both sockets, kept across rebind().
  Result<Ok, std::string> enable_path_mtu_discovery();
  // UdpSocket::enable_gro on both sockets, kept across rebind(); receives then need batches of
  // at least UdpSocket::kMaxGroSegments slots.
  Result<Ok, std::string> enable_gro();
  // UdpSocket::set_gso on both sockets, kept across rebind().
  void set_gso(bool on);
  // Whether GSO was asked for but a socket has turned it off (the device refused it).
  bool gso_lost() { return gso_ && ((v4() && !v4()->gso()) || (v6() && !v6()->gso())); }
  // Closes both sockets and binds the new port (keeping the fwmark). On failure the old port is
  // bound again if still free. Either way callers must re-register the fds with their event loop.
  Result<Ok, std::string> rebind(std::uint16_t port);

  // Sends every packet of the batch to its endpoint through the socket of that family, in runs
  // of consecutive same-family packets so a single-family batch is one sendmmsg.
  SendResult send_batch(PacketBatch& batch);

 private:
  UdpTransport() = default;
  // Applies `set` (UdpSocket& -> Result<Ok, std::string>) to each socket; the first error.
  template <typename Set>
  Result<Ok, std::string> on_both(Set set);
  Result<Ok, std::string> reapply(bool path_mtu_discovery, bool gro, bool gso);

  std::optional<UdpSocket> v4_;
  std::optional<UdpSocket> v6_;
  std::uint16_t port_ = 0;
  std::uint32_t fwmark_ = 0;
  bool path_mtu_discovery_ = false;
  bool gro_ = false;
  bool gso_ = true;
};

}  // namespace tandem::io
