// A bound UDP socket for one address family, moving datagrams in batches with recvmmsg and
// sendmmsg. Sends use UDP GSO (UDP_SEGMENT, Linux 4.18) where they can: a run of datagrams to one
// destination, all of one size but the last, leaves as one message the kernel cuts up late, so
// the stack is walked once per run instead of once per datagram. Receives may use UDP GRO
// (enable_gro()): the kernel hands over a run of one sender's datagrams as one, cut up here.
// WireGuard-style: one IPv4 and one separate IPv6 socket (IPV6_V6ONLY) on the same port;
// UdpTransport (udp_transport.hpp) owns the pair.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/packet_batch.hpp"
#include "io/path_mtu.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

// wireguard-go asks for 7 MiB buffers; bursts of a batch per peer need the room.
inline constexpr int kUdpSocketBufferSize = 7 << 20;

class UdpSocket {
 public:
  // Binds the wildcard address of `family` on `port` (0: the kernel picks; see port()).
  // `fwmark` 0 means no SO_MARK. The socket is close-on-exec; receives never block.
  static Result<UdpSocket, std::string> bind(IpAddress::Family family, std::uint16_t port,
                                             std::uint32_t fwmark = 0);

  // A raw IPv4 socket for one IP protocol (ESP, 50, for peers that send it unencapsulated),
  // moved in batches the same way: received packets start after their IPv4 header, with the
  // sender's address (port 0) in `endpoint`; sends ignore the port. Needs CAP_NET_RAW.
  static Result<UdpSocket, std::string> raw_ipv4(int protocol);

  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;

  IpAddress::Family family() const { return family_; }
  bool raw() const { return raw_; }
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_.get(); }

  // SO_MARK for routing policy (so the tunnel's own datagrams avoid the tunnel); 0 clears it.
  Result<Ok, std::string> set_fwmark(std::uint32_t mark);

  // Clears `batch`, then fills it with every waiting datagram up to its capacity, each at its
  // slot's headroom with the sender in `endpoint`. Returns the count (0: nothing waiting).
  // Datagrams larger than a slot are dropped. With GRO each coalesced receive is cut into its
  // datagrams; one is taken only while the batch has room for the most a receive may hold
  // (kMaxGroSegments), and always into an empty batch. A pending ICMP error (see read_errors())
  // does not interrupt the batch: it stays on the error queue for read_errors().
  Result<std::size_t, SysError> recv_batch(PacketBatch& batch);

  // Sends batch[begin, end) (default: all of it), each to its `endpoint`. Blocks while the socket
  // buffer is full, which is the back-pressure a sender wants instead of silent drops. A datagram
  // the kernel refuses is counted in `failed` and the rest still go: EMSGSIZE means larger than
  // the outgoing device's MTU (with path MTU discovery also queued as a local DeliveryError).
  // A pending ICMP error about an earlier datagram does not cost this batch a datagram.
  // A run the kernel refuses as one GSO message is sent again datagram by datagram, so refusals
  // are still counted per datagram; one refused for lack of GSO support (EIO: the device cannot
  // checksum it) turns GSO off for this socket.
  SendResult send_batch(PacketBatch& batch);
  SendResult send_batch(PacketBatch& batch, std::size_t begin, std::size_t end);

  // UDP GRO on receive (Linux 5.0); an error when the kernel does not have it.
  Result<Ok, std::string> enable_gro();
  bool gro() const { return gro_; }
  // The most datagrams one coalesced receive carries (the kernel's UDP_GRO_CNT_MAX).
  static constexpr std::size_t kMaxGroSegments = 64;

  // Whether sends still use UDP GSO; set_gso(false) turns it off (for tests and debugging).
  bool gso() const { return gso_.load(std::memory_order_relaxed); }
  void set_gso(bool on) { gso_.store(on, std::memory_order_relaxed); }

  // One datagram, for control messages off the data path.
  Result<Ok, SysError> send(ByteView bytes, const Endpoint& to);

  // Path MTU discovery on the underlay (path_mtu.hpp): DF on every datagram, ICMP errors queued
  // on the socket. Opt-in because it changes what epoll reports: from now on a queued error
  // raises EPOLLERR until read_errors() has taken it, so whoever watches the fd must call
  // read_errors() when EPOLLERR is reported (EventLoop::watch_readable with an error callback).
  Result<Ok, std::string> enable_path_mtu_discovery();
  bool path_mtu_discovery() const { return path_mtu_discovery_; }

  // Takes up to out.size() queued delivery errors (too big, unreachable, ...); fewer than
  // out.size() means the queue is empty and EPOLLERR is cleared. Never blocks.
  Result<std::size_t, SysError> read_errors(std::span<DeliveryError> out);

  // The PMTU the kernel knows towards `to` for this socket's datagrams (with its fwmark): the
  // value learned from ICMP (by any socket), else the route's MTU. A few syscalls; not per packet.
  Result<std::uint32_t, SysError> path_mtu(const Endpoint& to) const;

  // Like bind() but keeps the errno so callers can tell "port taken" from "no IPv6 here".
  struct BindError {
    int code;
    std::string text;
  };
  static Result<UdpSocket, BindError> try_bind(IpAddress::Family family, std::uint16_t port,
                                               std::uint32_t fwmark);

 private:
  UdpSocket(UniqueFd fd, IpAddress::Family family, std::uint16_t port, std::uint32_t fwmark,
            bool raw = false)
      : fd_(std::move(fd)), family_(family), port_(port), fwmark_(fwmark), raw_(raw), gso_(!raw) {}

  // sendmmsg of batch[begin, end), a message per datagram.
  SendResult send_each(PacketBatch& batch, std::size_t begin, std::size_t end);
  // The same with runs of equal-sized datagrams to one destination as single GSO messages.
  SendResult send_runs(PacketBatch& batch, std::size_t begin, std::size_t end);
  // recv_batch() with GRO on.
  Result<std::size_t, SysError> recv_coalesced(PacketBatch& batch);

  UniqueFd fd_;
  IpAddress::Family family_;
  std::uint16_t port_;
  std::uint32_t fwmark_ = 0;
  bool raw_ = false;
  bool path_mtu_discovery_ = false;
  bool gro_ = false;
  // Read by every sending thread, cleared by the first that finds GSO unsupported.
  std::atomic<bool> gso_{true};
};

}  // namespace tandem::io
