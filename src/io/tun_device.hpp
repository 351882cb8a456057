// A layer-3 TUN device (IFF_TUN | IFF_NO_PI): inner IP packets in and out of the kernel.
// Multi-queue, so each worker thread may own its own queue (open_queue()) and the kernel spreads
// flows over them. The interface moves batches so virtio-net header offloads (IFF_VNET_HDR,
// TSO/GRO) can slot in later without changing callers.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "io/packet_batch.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

class TunDevice {
 public:
  // Creates (or attaches to an existing persistent) device named `name`; a pattern such as
  // "tun%d" lets the kernel choose. Sets the MTU when given. The fd is non-blocking.
  static Result<TunDevice, std::string> create(std::string_view name,
                                               std::optional<unsigned> mtu = std::nullopt);

  // Another queue of the same device, with its own fd, for another thread.
  Result<TunDevice, std::string> open_queue() const;

  const std::string& name() const { return name_; }
  int index() const { return index_; }
  int fd() const { return fd_.get(); }

  Result<Ok, std::string> set_mtu(unsigned mtu);
  Result<unsigned, std::string> mtu() const;

  // Reads packets into buffers[i] until the device has none waiting or the buffers run out;
  // sizes[i] gets each length. Returns the count (0: nothing waiting).
  Result<std::size_t, SysError> read_batch(std::span<const MutableByteView> buffers,
                                           std::span<std::size_t> sizes);
  // Clears `batch` and fills it, each packet at its slot's headroom (room for outer headers).
  Result<std::size_t, SysError> read_batch(PacketBatch& batch);

  // Writes every packet of the batch (its bytes(), endpoints ignored).
  SendResult write_batch(const PacketBatch& batch);
  Result<Ok, SysError> write(ByteView packet);

 private:
  TunDevice(UniqueFd fd, std::string name, int index)
      : fd_(std::move(fd)), name_(std::move(name)), index_(index) {}

  UniqueFd fd_;
  std::string name_;
  int index_ = 0;
};

}  // namespace tandem::io
