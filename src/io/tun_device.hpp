// A layer-3 TUN device (IFF_TUN | IFF_NO_PI): inner IP packets in and out of the kernel.
// Multi-queue, so each worker thread may own its own queue (open_queue()) and the kernel spreads
// flows over them. The interface moves batches, so the virtio-net header offloads fit behind it:
// with offloads on (IFF_VNET_HDR and TUNSETOFFLOAD with checksum, TSO4/6 and USO4/6) the kernel
// hands over TCP and UDP super-packets of up to 64 KB instead of one packet per MTU, which saves
// most of the per-packet cost of the device. Reads still return plain packets: each super-packet
// is cut into its segments here (packet/gso_segments.hpp), so callers see no difference but the
// batches fill with one read.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "io/packet_batch.hpp"
#include "io/unique_fd.hpp"
#include "packet/gso_segments.hpp"

namespace tandem::io {

class TunDevice {
 public:
  // Creates (or attaches to an existing persistent) device named `name`; a pattern such as
  // "tun%d" lets the kernel choose. Sets the MTU when given. The fd is non-blocking. With
  // `offloads` it asks for super-packets (see above); a kernel that refuses them gives a plain
  // device, and offloads_refused() says why.
  static Result<TunDevice, std::string> create(std::string_view name,
                                               std::optional<unsigned> mtu = std::nullopt,
                                               bool offloads = false);

  // Another queue of the same device, with its own fd, for another thread.
  Result<TunDevice, std::string> open_queue() const;

  const std::string& name() const { return name_; }
  int index() const { return index_; }
  int fd() const { return fd_.get(); }
  // Whether reads come as super-packets with a virtio-net header (cut up before callers see them).
  bool offloads() const { return vnet_header_; }
  // Why offloads asked for are off (empty when they are on or were not asked for).
  const std::string& offloads_refused() const { return offloads_refused_; }
  // Super-packets read (GSO, cut into segments here), and those dropped because their virtio-net
  // header and bytes disagreed.
  std::uint64_t super_packets() const { return super_packets_; }
  std::uint64_t malformed_super_packets() const { return malformed_; }
  // A super-packet read is only partly handed out (the batch filled first): read again before
  // waiting for the device, which may have nothing more to report.
  bool has_pending() const { return pending_.has_value(); }

  Result<Ok, std::string> set_mtu(unsigned mtu);
  Result<unsigned, std::string> mtu() const;

  // Reads packets (segments of a super-packet, with offloads) into buffers[i] until the device has
  // none waiting or the buffers run out; sizes[i] gets each length. Returns the count (0: nothing
  // waiting).
  Result<std::size_t, SysError> read_batch(std::span<const MutableByteView> buffers,
                                           std::span<std::size_t> sizes);
  // Clears `batch` and fills it, each packet at its slot's headroom (room for outer headers).
  Result<std::size_t, SysError> read_batch(PacketBatch& batch);

  // Writes every packet of the batch (its bytes(), endpoints ignored). With offloads, runs of
  // in-order TCP segments of one flow go as one super-packet (packet/tcp_coalesce.hpp) and the
  // rest with an empty virtio-net header. One thread at a time: it has scratch of its own.
  SendResult write_batch(const PacketBatch& batch);
  Result<Ok, SysError> write(ByteView packet);

 private:
  TunDevice(UniqueFd fd, std::string name, int index, bool vnet_header);
  // The next packet into `out`: the next segment of the super-packet in hand, or one read from
  // the device. nullopt when nothing is waiting.
  Result<std::optional<std::size_t>, SysError> read_one(MutableByteView out);
  // With offloads: reads one super-packet into super_packet_ and plans its segments.
  Result<bool, SysError> read_super_packet();
  // Writes `bytes`, behind an empty virtio-net header in offload mode unless `with_header`.
  Result<Ok, SysError> write_bytes(ByteView bytes, bool with_header);

  UniqueFd fd_;
  std::string name_;
  int index_ = 0;
  bool vnet_header_ = false;
  std::string offloads_refused_;
  // With offloads: the last super-packet read, its header first, and how far it is handed out.
  std::unique_ptr<std::byte[]> super_packet_;
  std::size_t super_packet_size_ = 0;
  std::optional<packet::GsoSegments> pending_;
  std::size_t next_segment_ = 0;
  std::unique_ptr<std::byte[]> coalesced_;  // write_batch()'s super-packet, header first
  std::uint64_t super_packets_ = 0;
  std::uint64_t malformed_ = 0;
};

}  // namespace tandem::io
