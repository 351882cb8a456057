// io/-internal: the msghdr/iovec/sockaddr arrays recvmmsg and sendmmsg need, one per batch slot,
// kept beside the batch so a socket may be used by several threads each with its own batch.
// With UDP GSO one message carries a run of slots: `runs` says which.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace tandem::io {

struct MmsgScratch {
  // Room for one control message with a 16-bit value (UDP_SEGMENT) or an int (UDP_GRO).
  struct alignas(cmsghdr) Control {
    unsigned char bytes[CMSG_SPACE(sizeof(int))];
  };
  struct Run {
    std::size_t first = 0;
    std::size_t count = 0;
  };
  explicit MmsgScratch(std::size_t capacity)
      : headers(capacity),
        iovecs(capacity),
        addresses(capacity),
        controls(capacity),
        runs(capacity) {}
  std::vector<mmsghdr> headers;
  std::vector<iovec> iovecs;
  std::vector<sockaddr_storage> addresses;
  std::vector<Control> controls;
  std::vector<Run> runs;
  // UDP GRO: where a coalesced receive lands before it is cut into slots (allocated on first use).
  std::unique_ptr<std::byte[]> coalesced;
};

}  // namespace tandem::io
