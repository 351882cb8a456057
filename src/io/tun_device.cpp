#include "io/tun_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "packet/tcp_coalesce.hpp"

namespace tandem::io {
namespace {

constexpr const char* kCloneDevice = "/dev/net/tun";
// USO came in Linux 6.2; older uapi headers lack the flags.
constexpr unsigned kTunFUso4 = 0x20;
constexpr unsigned kTunFUso6 = 0x40;
constexpr std::size_t kSuperPacketRead = packet::kVirtioNetHeaderSize + packet::kMaxSuperPacket;

Result<UniqueFd, std::string> attach_queue(std::string& name, bool vnet_header) {
  if (name.size() >= IFNAMSIZ) return Err{"interface name too long: " + name};
  UniqueFd fd(::open(kCloneDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return Err{errno_text(std::string("open ") + kCloneDevice, errno)};
  ifreq ifr{};
  ifr.ifr_flags =
      static_cast<short>(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | (vnet_header ? IFF_VNET_HDR : 0));
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0)
    return Err{errno_text("cannot create TUN device " + name, errno)};
  name.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
  return fd;
}

// Turns on the virtio-net header's offloads for the device `fd` is a queue of: checksum, TSO and,
// where the kernel has it, USO. An error when even checksum and TSO are refused.
Result<Ok, std::string> enable_offloads(int fd) {
  // Little-endian headers whatever the host (a legacy header is in host order); a kernel
  // that cannot switch is little-endian already or has no cross-endian support to care about.
  int little_endian = 1;
  (void)::ioctl(fd, TUNSETVNETLE, &little_endian);
  int header_size = static_cast<int>(packet::kVirtioNetHeaderSize);
  if (::ioctl(fd, TUNSETVNETHDRSZ, &header_size) != 0)
    return Err{errno_text("TUNSETVNETHDRSZ", errno)};
  const unsigned tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  if (::ioctl(fd, TUNSETOFFLOAD, tso | kTunFUso4 | kTunFUso6) == 0) return Ok{};
  if (::ioctl(fd, TUNSETOFFLOAD, tso) == 0) return Ok{};
  return Err{errno_text("TUNSETOFFLOAD", errno)};
}

// SIOCxIFMTU work on any socket of the device's namespace; a throwaway datagram socket will do.
Result<ifreq, std::string> mtu_ioctl(const std::string& name, unsigned long request, int mtu_in) {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Err{errno_text("socket for MTU of " + name, errno)};
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_mtu = mtu_in;
  if (::ioctl(sock.get(), request, &ifr) != 0) return Err{errno_text("MTU of " + name, errno)};
  return ifr;
}

}  // namespace

TunDevice::TunDevice(UniqueFd fd, std::string name, int index, bool vnet_header)
    : fd_(std::move(fd)), name_(std::move(name)), index_(index), vnet_header_(vnet_header) {
  if (!vnet_header_) return;
  super_packet_ = std::make_unique<std::byte[]>(kSuperPacketRead);
  coalesced_ = std::make_unique<std::byte[]>(kSuperPacketRead);
}

Result<TunDevice, std::string> TunDevice::create(std::string_view name, std::optional<unsigned> mtu,
                                                 bool offloads) {
  std::string actual(name);
  auto fd = attach_queue(actual, offloads);
  std::string refused;
  if (fd && offloads) {
    if (auto on = enable_offloads(fd->get()); !on) {
      // Without them the header would only cost: reattach plain (the flags are the device's).
      refused = on.error();
      offloads = false;
      fd->reset();
      actual = std::string(name);
      fd = attach_queue(actual, false);
    }
  }
  if (!fd) return Err{fd.error()};
  const unsigned index = ::if_nametoindex(actual.c_str());
  if (index == 0) return Err{errno_text("if_nametoindex " + actual, errno)};
  TunDevice dev(std::move(fd).value(), actual, static_cast<int>(index), offloads);
  dev.offloads_refused_ = std::move(refused);
  if (mtu) {
    if (auto r = dev.set_mtu(*mtu); !r) return Err{r.error()};
  }
  return dev;
}

Result<TunDevice, std::string> TunDevice::open_queue() const {
  std::string actual = name_;
  auto fd = attach_queue(actual, vnet_header_);
  if (!fd) return Err{fd.error()};
  return TunDevice(std::move(fd).value(), actual, index_, vnet_header_);
}

Result<Ok, std::string> TunDevice::set_mtu(unsigned mtu) {
  auto r = mtu_ioctl(name_, SIOCSIFMTU, static_cast<int>(mtu));
  if (!r) return Err{r.error()};
  return Ok{};
}

Result<unsigned, std::string> TunDevice::mtu() const {
  auto r = mtu_ioctl(name_, SIOCGIFMTU, 0);
  if (!r) return Err{r.error()};
  return static_cast<unsigned>(r->ifr_mtu);
}

Result<bool, SysError> TunDevice::read_super_packet() {
  for (;;) {
    const ssize_t n = ::read(fd_.get(), super_packet_.get(), kSuperPacketRead);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      return Err{SysError{errno}};
    }
    super_packet_size_ = static_cast<std::size_t>(n);
    const ByteView read(super_packet_.get(), super_packet_size_);
    const auto header = packet::parse_virtio_net_header(read);
    if (!header) {
      ++malformed_;
      continue;
    }
    auto plan = packet::GsoSegments::plan(*header, read.subspan(packet::kVirtioNetHeaderSize));
    if (!plan) {
      ++malformed_;
      continue;
    }
    if (header->gso() != packet::kVirtioNetHdrGsoNone) ++super_packets_;
    pending_ = *plan;
    next_segment_ = 0;
    return true;
  }
}

Result<std::optional<std::size_t>, SysError> TunDevice::read_one(MutableByteView out) {
  if (!vnet_header_) {
    for (;;) {
      const ssize_t n = ::read(fd_.get(), out.data(), out.size());
      if (n >= 0) return std::optional(static_cast<std::size_t>(n));
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<std::size_t>();
      return Err{SysError{errno}};
    }
  }
  for (;;) {
    if (!pending_) {
      auto got = read_super_packet();
      if (!got) return Err{got.error()};
      if (!*got) return std::optional<std::size_t>();
    }
    if (pending_->max_size() > out.size()) {
      // Segments larger than a slot: the MTU was raised past what the slots hold.
      ++malformed_;
      pending_.reset();
      continue;
    }
    const ByteView super(super_packet_.get() + packet::kVirtioNetHeaderSize,
                         super_packet_size_ - packet::kVirtioNetHeaderSize);
    const std::size_t n = pending_->write(super, next_segment_++, out);
    if (next_segment_ == pending_->count()) pending_.reset();
    return std::optional(n);
  }
}

Result<std::size_t, SysError> TunDevice::read_batch(std::span<const MutableByteView> buffers,
                                                    std::span<std::size_t> sizes) {
  const std::size_t limit = std::min(buffers.size(), sizes.size());
  std::size_t count = 0;
  while (count < limit) {
    auto n = read_one(buffers[count]);
    if (!n) {
      if (count > 0) break;  // hand over what we have; the error will recur on the next call
      return Err{n.error()};
    }
    if (!*n) break;
    sizes[count++] = **n;
  }
  return count;
}

Result<std::size_t, SysError> TunDevice::read_batch(PacketBatch& batch) {
  batch.clear();
  while (!batch.full()) {
    Packet& p = batch.push_back();
    auto n = read_one(p.room());
    if (!n || !*n) {
      batch.resize(batch.size() - 1);
      if (!n && batch.empty()) return Err{n.error()};
      break;
    }
    p.length = **n;
  }
  return batch.size();
}

SendResult TunDevice::write_batch(const PacketBatch& batch) {
  SendResult result;
  const std::span<const Packet> packets(batch.begin(), batch.size());
  for (std::size_t i = 0; i < packets.size();) {
    const std::size_t run = vnet_header_ ? packet::tcp_coalescible_run(packets, i) : 1;
    auto written =
        run == 1 ? write(packets[i].bytes())
                 : write_bytes(ByteView(coalesced_.get(),
                                        packet::write_coalesced_tcp(
                                            packets.subspan(i, run),
                                            MutableByteView(coalesced_.get(), kSuperPacketRead))),
                               true);
    if (written) {
      result.sent += run;
    } else {
      result.failed += run;
      if (result.first_error == 0) result.first_error = written.error().code;
    }
    i += run;
  }
  return result;
}

Result<Ok, SysError> TunDevice::write(ByteView packet) {
  return write_bytes(packet, false);
}

Result<Ok, SysError> TunDevice::write_bytes(ByteView bytes, bool with_header) {
  // An all-zero header: no segmentation, checksums complete.
  std::byte empty_header[packet::kVirtioNetHeaderSize] = {};
  iovec parts[2] = {{empty_header, sizeof empty_header},
                    {const_cast<std::byte*>(bytes.data()), bytes.size()}};
  const int first = vnet_header_ && !with_header ? 0 : 1;
  for (;;) {
    const ssize_t n = ::writev(fd_.get(), parts + first, 2 - first);
    if (n >= 0) return Ok{};
    if (errno != EINTR) return Err{SysError{errno}};
  }
}

}  // namespace tandem::io
