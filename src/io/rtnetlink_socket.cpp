#include "io/rtnetlink_socket.hpp"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "io/unique_fd.hpp"

namespace tandem::io {
namespace {

// Big enough for any dump message the kernel sends (libmnl's MNL_SOCKET_DUMP_SIZE).
constexpr std::size_t kBufferSize = 32768;

}  // namespace

void RtnetlinkSocket::SocketCloser::operator()(mnl_socket* s) const {
  mnl_socket_close(s);
}

RtnetlinkSocket::RtnetlinkSocket(mnl_socket* socket)
    : socket_(socket), port_id_(mnl_socket_get_portid(socket)) {}
RtnetlinkSocket::~RtnetlinkSocket() = default;
RtnetlinkSocket::RtnetlinkSocket(RtnetlinkSocket&&) noexcept = default;
RtnetlinkSocket& RtnetlinkSocket::operator=(RtnetlinkSocket&&) noexcept = default;

Result<RtnetlinkSocket, std::string> RtnetlinkSocket::open() {
  mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (s == nullptr) return Err{errno_text("netlink socket", errno)};
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(s);
    return Err{errno_text("netlink bind", err)};
  }
  return RtnetlinkSocket(s);
}

Result<Ok, int> RtnetlinkSocket::request(nlmsghdr* request) {
  request->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  return exchange(request, nullptr, nullptr);
}

Result<Ok, int> RtnetlinkSocket::query(nlmsghdr* request, DumpCallback callback, void* data) {
  request->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  return exchange(request, callback, data);
}

Result<Ok, int> RtnetlinkSocket::dump(nlmsghdr* request, DumpCallback callback, void* data) {
  request->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
  return exchange(request, callback, data);
}

Result<Ok, int> RtnetlinkSocket::exchange(nlmsghdr* request, DumpCallback callback, void* data) {
  request->nlmsg_seq = ++sequence_;
  if (mnl_socket_sendto(socket_.get(), request, request->nlmsg_len) < 0) return Err{errno};
  std::vector<char> reply(kBufferSize);
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(socket_.get(), reply.data(), reply.size());
    if (n < 0) return Err{errno};
    auto left = static_cast<int>(n);
    for (const auto* m = reinterpret_cast<const nlmsghdr*>(reply.data()); mnl_nlmsg_ok(m, left);
         m = mnl_nlmsg_next(m, &left)) {
      // The tail of an earlier exchange that ended early (an error part-way through a dump) may
      // still be queued; it belongs to no one now.
      if (m->nlmsg_seq != sequence_) continue;
      // An ack (NLMSG_ERROR with error 0) or NLMSG_DONE ends the exchange; an error sets errno.
      const int rc = mnl_cb_run(m, m->nlmsg_len, sequence_, port_id_, callback, data);
      if (rc < 0) return Err{errno};
      if (rc == MNL_CB_STOP) return Ok{};
    }
  }
}

}  // namespace tandem::io
