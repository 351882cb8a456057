#include "io/tun_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::io {
namespace {

constexpr const char* kCloneDevice = "/dev/net/tun";

Result<UniqueFd, std::string> attach_queue(std::string& name) {
  if (name.size() >= IFNAMSIZ) return Err{"interface name too long: " + name};
  UniqueFd fd(::open(kCloneDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return Err{errno_text(std::string("open ") + kCloneDevice, errno)};
  ifreq ifr{};
  ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0)
    return Err{errno_text("cannot create TUN device " + name, errno)};
  name.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
  return fd;
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

Result<TunDevice, std::string> TunDevice::create(std::string_view name,
                                                 std::optional<unsigned> mtu) {
  std::string actual(name);
  auto fd = attach_queue(actual);
  if (!fd) return Err{fd.error()};
  const unsigned index = ::if_nametoindex(actual.c_str());
  if (index == 0) return Err{errno_text("if_nametoindex " + actual, errno)};
  TunDevice dev(std::move(fd).value(), actual, static_cast<int>(index));
  if (mtu) {
    if (auto r = dev.set_mtu(*mtu); !r) return Err{r.error()};
  }
  return dev;
}

Result<TunDevice, std::string> TunDevice::open_queue() const {
  std::string actual = name_;
  auto fd = attach_queue(actual);
  if (!fd) return Err{fd.error()};
  return TunDevice(std::move(fd).value(), actual, index_);
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

Result<std::size_t, SysError> TunDevice::read_batch(std::span<const MutableByteView> buffers,
                                                    std::span<std::size_t> sizes) {
  const std::size_t limit = std::min(buffers.size(), sizes.size());
  std::size_t count = 0;
  while (count < limit) {
    const ssize_t n = ::read(fd_.get(), buffers[count].data(), buffers[count].size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (count > 0) break;  // hand over what we have; the error will recur on the next call
      return Err{SysError{errno}};
    }
    sizes[count++] = static_cast<std::size_t>(n);
  }
  return count;
}

Result<std::size_t, SysError> TunDevice::read_batch(PacketBatch& batch) {
  batch.clear();
  while (!batch.full()) {
    Packet& p = batch.push_back();
    const auto room = p.room();
    const ssize_t n = ::read(fd_.get(), room.data(), room.size());
    if (n < 0) {
      const int err = errno;
      batch.resize(batch.size() - 1);
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK || !batch.empty()) break;
      return Err{SysError{err}};
    }
    p.length = static_cast<std::size_t>(n);
  }
  return batch.size();
}

SendResult TunDevice::write_batch(const PacketBatch& batch) {
  SendResult result;
  for (const Packet& p : batch) {
    if (auto r = write(p.bytes()); r) {
      ++result.sent;
    } else {
      ++result.failed;
      if (result.first_error == 0) result.first_error = r.error().code;
    }
  }
  return result;
}

Result<Ok, SysError> TunDevice::write(ByteView packet) {
  for (;;) {
    const ssize_t n = ::write(fd_.get(), packet.data(), packet.size());
    if (n >= 0) return Ok{};
    if (errno != EINTR) return Err{SysError{errno}};
  }
}

}  // namespace tandem::io
