// One rtnetlink socket over libmnl and its two exchanges: a request answered by an ack, and a
// dump answered by a stream of messages. Errors come back as the kernel's errno, so a caller can
// tolerate the ones it expects (deleting what is already gone) and word the rest itself.
// Not thread-safe: one socket per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace tandem::io {

class RtnetlinkSocket {
 public:
  // Called for each message of a dump; returns MNL_CB_OK to go on (libmnl's mnl_cb_t).
  using DumpCallback = int (*)(const nlmsghdr* message, void* data);

  static Result<RtnetlinkSocket, std::string> open();
  ~RtnetlinkSocket();
  RtnetlinkSocket(RtnetlinkSocket&&) noexcept;
  RtnetlinkSocket& operator=(RtnetlinkSocket&&) noexcept;

  // Sends one request (built in `request`; flags and sequence are filled in here) and waits for
  // its ack. The error is the errno the kernel answered with.
  Result<Ok, int> request(nlmsghdr* request);
  // Sends a request whose answer is a message (a get, e.g. RTM_GETROUTE for one address) and
  // hands it to `callback`, then waits for the ack.
  Result<Ok, int> query(nlmsghdr* request, DumpCallback callback, void* data);
  // Sends a dump request and hands every answer to `callback` until the dump is done. EINTR
  // means the kernel's table changed under the dump (NLM_F_DUMP_INTR); the caller may retry.
  Result<Ok, int> dump(nlmsghdr* request, DumpCallback callback, void* data);

 private:
  explicit RtnetlinkSocket(mnl_socket* socket);
  Result<Ok, int> exchange(nlmsghdr* request, DumpCallback callback, void* data);

  struct SocketCloser {
    void operator()(mnl_socket* s) const;
  };
  std::unique_ptr<mnl_socket, SocketCloser> socket_;
  std::uint32_t port_id_ = 0;
  std::uint32_t sequence_ = 0;
};

}  // namespace tandem::io
