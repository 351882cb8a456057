#include "io/netlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "io/unique_fd.hpp"

namespace tandem::io {
namespace {

unsigned char af_of(const IpAddress& a) {
  return a.is_v4() ? AF_INET : AF_INET6;
}

IpAddress address_from(const void* data, std::size_t length) {
  const auto* b = static_cast<const std::uint8_t*>(data);
  if (length == 4) return IpAddress::v4({b[0], b[1], b[2], b[3]});
  std::array<std::uint8_t, 16> v6{};
  std::memcpy(v6.data(), b, std::min<std::size_t>(length, 16));
  return IpAddress::v6(v6);
}

struct AddressDump {
  int ifindex;
  std::vector<InterfaceAddress>* out;
};

struct AddressAttrs {
  const nlattr* local = nullptr;
  const nlattr* address = nullptr;
};

int address_attr_cb(const nlattr* attr, void* data) {
  auto* attrs = static_cast<AddressAttrs*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type == IFA_LOCAL) attrs->local = attr;
  if (type == IFA_ADDRESS) attrs->address = attr;
  return MNL_CB_OK;
}

int address_dump_cb(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<AddressDump*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (static_cast<int>(ifa->ifa_index) != dump->ifindex) return MNL_CB_OK;
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return MNL_CB_OK;
  AddressAttrs attrs;
  mnl_attr_parse(nlh, sizeof(ifaddrmsg), address_attr_cb, &attrs);
  // IPv4 point-to-point addresses carry the peer in IFA_ADDRESS; ours is IFA_LOCAL.
  const nlattr* a = attrs.local != nullptr ? attrs.local : attrs.address;
  if (a == nullptr) return MNL_CB_OK;
  dump->out->push_back(InterfaceAddress{
      address_from(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a)), ifa->ifa_prefixlen});
  return MNL_CB_OK;
}

}  // namespace

Netlink::Netlink(RtnetlinkSocket socket) : socket_(std::move(socket)) {}
Netlink::~Netlink() = default;
Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;

Result<Netlink, std::string> Netlink::open() {
  auto socket = RtnetlinkSocket::open();
  if (!socket) return Err{socket.error()};
  return Netlink(std::move(socket).value());
}

Result<Ok, std::string> Netlink::transact(void* buffer, const std::string& what) {
  auto r = socket_.request(static_cast<nlmsghdr*>(buffer));
  if (!r) return Err{errno_text(what, r.error())};
  return Ok{};
}

Result<Ok, std::string> Netlink::set_link_flags(int ifindex, bool up) {
  std::array<char, 1024> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = up ? IFF_UP : 0;
  ifi->ifi_change = IFF_UP;
  return transact(buf.data(), std::string("set link ") + (up ? "up" : "down") + " (ifindex " +
                                  std::to_string(ifindex) + ")");
}

Result<Ok, std::string> Netlink::set_link_up(int ifindex) {
  return set_link_flags(ifindex, true);
}

Result<Ok, std::string> Netlink::set_link_down(int ifindex) {
  return set_link_flags(ifindex, false);
}

Result<Ok, std::string> Netlink::set_mtu(int ifindex, unsigned mtu) {
  std::array<char, 1024> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  return transact(buf.data(),
                  "set MTU " + std::to_string(mtu) + " (ifindex " + std::to_string(ifindex) + ")");
}

Result<Ok, std::string> Netlink::change_address(int ifindex, const InterfaceAddress& address,
                                                bool add) {
  std::array<char, 1024> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  if (add) nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = af_of(address.address);
  ifa->ifa_prefixlen = static_cast<unsigned char>(address.prefix_length);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<unsigned>(ifindex);
  // Both attributes equal means "not point-to-point", which is what `ip addr add` sends.
  const auto size = static_cast<std::uint16_t>(address.address.size());
  mnl_attr_put(nlh, IFA_LOCAL, size, address.address.data());
  mnl_attr_put(nlh, IFA_ADDRESS, size, address.address.data());
  return transact(buf.data(), std::string(add ? "add" : "delete") + " address " +
                                  address.to_string() + " (ifindex " + std::to_string(ifindex) +
                                  ")");
}

Result<Ok, std::string> Netlink::add_address(int ifindex, const InterfaceAddress& address) {
  return change_address(ifindex, address, true);
}

Result<Ok, std::string> Netlink::delete_address(int ifindex, const InterfaceAddress& address) {
  return change_address(ifindex, address, false);
}

Result<std::vector<InterfaceAddress>, std::string> Netlink::list_addresses(int ifindex) {
  std::array<char, 1024> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETADDR;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  std::vector<InterfaceAddress> out;
  AddressDump dump{ifindex, &out};
  auto r = socket_.dump(nlh, address_dump_cb, &dump);
  if (!r)
    return Err{errno_text("list addresses (ifindex " + std::to_string(ifindex) + ")", r.error())};
  return out;
}

Result<Ok, std::string> Netlink::flush_addresses(int ifindex) {
  auto addresses = list_addresses(ifindex);
  if (!addresses) return Err{addresses.error()};
  for (const InterfaceAddress& a : *addresses) {
    // Deleting an IPv4 primary address also removes its secondaries; those are then gone.
    auto r = delete_address(ifindex, a);
    if (!r && r.error().find(std::strerror(EADDRNOTAVAIL)) == std::string::npos) return r;
  }
  return Ok{};
}

Result<Ok, std::string> Netlink::change_route(const Route& route, bool add) {
  std::array<char, 1024> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
  if (add) nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  const IpAddress& dst = route.destination.address();
  rtm->rtm_family = af_of(dst);
  rtm->rtm_dst_len = static_cast<unsigned char>(route.destination.length());
  // What `ip route add <prefix> dev <if>` sends; a delete matches on fewer fields.
  rtm->rtm_protocol = add ? RTPROT_BOOT : RTPROT_UNSPEC;
  rtm->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
  rtm->rtm_type = RTN_UNICAST;
  const std::uint32_t table = route.table.value_or(RT_TABLE_MAIN);
  // rtm_table is a byte; larger table ids travel only in RTA_TABLE.
  rtm->rtm_table =
      table < 256 ? static_cast<unsigned char>(table) : static_cast<unsigned char>(RT_TABLE_UNSPEC);
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  if (route.destination.length() > 0)
    mnl_attr_put(nlh, RTA_DST, static_cast<std::uint16_t>(dst.size()), dst.data());
  mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(route.ifindex));
  if (route.metric) mnl_attr_put_u32(nlh, RTA_PRIORITY, *route.metric);
  return transact(buf.data(), std::string(add ? "add" : "delete") + " route " +
                                  route.destination.to_string() + " (ifindex " +
                                  std::to_string(route.ifindex) + ", table " +
                                  std::to_string(table) + ")");
}

Result<Ok, std::string> Netlink::add_route(const Route& route) {
  return change_route(route, true);
}

Result<Ok, std::string> Netlink::delete_route(const Route& route) {
  return change_route(route, false);
}

}  // namespace tandem::io
