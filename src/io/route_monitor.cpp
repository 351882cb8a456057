#include "io/route_monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "io/unique_fd.hpp"

namespace tandem::io {
namespace {

// The attributes of an RTM_NEWROUTE answer, while the callback runs (they point into the
// receive buffer, which is gone once the exchange returns).
struct RouteAttributes {
  std::array<const nlattr*, RTA_MAX + 1> attrs{};
};

int collect_route_attribute(const nlattr* attr, void* data) {
  auto* a = static_cast<RouteAttributes*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type <= RTA_MAX) a->attrs[type] = attr;
  return MNL_CB_OK;
}

std::optional<IpAddress> address_of(const nlattr* attr, unsigned char family) {
  const std::size_t size = family == AF_INET ? 4 : 16;
  if (attr == nullptr || mnl_attr_get_payload_len(attr) != size) return std::nullopt;
  return IpAddress::from_bytes(static_cast<const std::byte*>(mnl_attr_get_payload(attr)),
                               family == AF_INET ? IpAddress::Family::kV4 : IpAddress::Family::kV6);
}

int collect_metric(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == RTAX_MTU &&
      mnl_attr_get_payload_len(attr) == sizeof(std::uint32_t))
    *static_cast<std::optional<std::uint32_t>*>(data) = mnl_attr_get_u32(attr);
  return MNL_CB_OK;
}

// What lookup() learns: the route, copied out of the answer while it is there.
struct RouteAnswer {
  RouteChoice route;
  bool seen = false;
};

int on_route(const nlmsghdr* message, void* data) {
  if (message->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
  auto* answer = static_cast<RouteAnswer*>(data);
  const unsigned char family =
      static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message))->rtm_family;
  RouteAttributes a;
  mnl_attr_parse(message, sizeof(rtmsg), collect_route_attribute, &a);
  RouteChoice& route = answer->route;
  if (const nlattr* oif = a.attrs[RTA_OIF];
      oif != nullptr && mnl_attr_get_payload_len(oif) == sizeof(std::uint32_t))
    route.ifindex = static_cast<int>(mnl_attr_get_u32(oif));
  route.via = address_of(a.attrs[RTA_GATEWAY], family);
  route.source = address_of(a.attrs[RTA_PREFSRC], family);
  if (const nlattr* metrics = a.attrs[RTA_METRICS])
    mnl_attr_parse_nested(metrics, collect_metric, &route.mtu);
  answer->seen = true;
  return MNL_CB_OK;
}

}  // namespace

std::string to_string(const RouteChoice& route) {
  std::array<char, IF_NAMESIZE> name{};
  std::string text = "dev ";
  text += if_indextoname(static_cast<unsigned>(route.ifindex), name.data()) != nullptr
              ? std::string(name.data())
              : std::to_string(route.ifindex);
  if (route.via) text += " via " + route.via->to_string();
  if (route.source) text += " src " + route.source->to_string();
  if (route.mtu) text += " mtu " + std::to_string(*route.mtu);
  return text;
}

void RouteMonitor::SocketCloser::operator()(mnl_socket* s) const {
  mnl_socket_close(s);
}

RouteMonitor::RouteMonitor(mnl_socket* listener, RtnetlinkSocket query)
    : listener_(listener), query_(std::move(query)) {}
RouteMonitor::~RouteMonitor() = default;
RouteMonitor::RouteMonitor(RouteMonitor&&) noexcept = default;
RouteMonitor& RouteMonitor::operator=(RouteMonitor&&) noexcept = default;

Result<RouteMonitor, std::string> RouteMonitor::open() {
  auto query = RtnetlinkSocket::open();
  if (!query) return Err{query.error()};
  mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (s == nullptr) return Err{errno_text("netlink socket", errno)};
  if (mnl_socket_bind(s, RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(s);
    return Err{errno_text("netlink bind to the route notifications", err)};
  }
  return RouteMonitor(s, std::move(*query));
}

int RouteMonitor::fd() const {
  return mnl_socket_get_fd(listener_.get());
}

bool RouteMonitor::drain() {
  // The content does not matter: any route added, changed or removed may move a destination, and
  // lookup() asks the kernel what holds now.
  std::array<char, 8192> buffer;
  bool any = false;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(listener_.get(), buffer.data(), buffer.size());
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // ENOBUFS: notifications were dropped; one of them may have been a change.
    if (n < 0 && errno == ENOBUFS) {
      any = true;
      continue;
    }
    return any;  // EAGAIN: nothing more queued
  }
}

Result<RouteChoice, int> RouteMonitor::lookup(const IpAddress& destination) {
  std::array<char, 1024> buffer{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = destination.is_v4() ? AF_INET : AF_INET6;
  rtm->rtm_dst_len = destination.is_v4() ? 32 : 128;
  mnl_attr_put(nlh, RTA_DST, destination.size(), destination.data());
  RouteAnswer answer;
  if (auto ok = query_.query(nlh, on_route, &answer); !ok) return Err{ok.error()};
  if (!answer.seen) return Err{ENETUNREACH};
  return answer.route;
}

}  // namespace tandem::io
