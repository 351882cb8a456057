// io/-internal: the msghdr/iovec/sockaddr arrays recvmmsg and sendmmsg need, one per batch slot,
// kept beside the batch so a socket may be used by several threads each with its own batch.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <vector>

namespace tandem::io {

struct MmsgScratch {
  explicit MmsgScratch(std::size_t capacity)
      : headers(capacity), iovecs(capacity), addresses(capacity) {}
  std::vector<mmsghdr> headers;
  std::vector<iovec> iovecs;
  std::vector<sockaddr_storage> addresses;
};

}  // namespace tandem::io
