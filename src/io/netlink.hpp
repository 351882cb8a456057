// rtnetlink over libmnl: the interface configuration wg-quick does with `ip` — link up/down,
// MTU, addresses, routes — as direct requests, with the kernel's errno text on failure.
// Not thread-safe: one Netlink per thread (the daemon configures from its control thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/rtnetlink_socket.hpp"

namespace tandem::io {

struct Route {
  IpPrefix destination;
  int ifindex = 0;                      // "dev": the route goes out of this interface
  std::optional<std::uint32_t> table;   // default: main
  std::optional<std::uint32_t> metric;  // RTA_PRIORITY; default: the kernel's 0 (IPv6: 1024)
};

class Netlink {
 public:
  static Result<Netlink, std::string> open();
  ~Netlink();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;

  Result<Ok, std::string> set_link_up(int ifindex);
  Result<Ok, std::string> set_link_down(int ifindex);
  Result<Ok, std::string> set_mtu(int ifindex, unsigned mtu);

  // Fails with "File exists" if the address is already there, like `ip addr add`.
  Result<Ok, std::string> add_address(int ifindex, const InterfaceAddress& address);
  Result<Ok, std::string> delete_address(int ifindex, const InterfaceAddress& address);
  Result<std::vector<InterfaceAddress>, std::string> list_addresses(int ifindex);
  // Removes every address of the interface (both families), as `ip addr flush dev` does.
  Result<Ok, std::string> flush_addresses(int ifindex);

  // Fails with "File exists" if an identical route is there, like `ip route add`.
  Result<Ok, std::string> add_route(const Route& route);
  Result<Ok, std::string> delete_route(const Route& route);

 private:
  explicit Netlink(RtnetlinkSocket socket);
  // Sends one request (already built in `buffer`) and waits for its ack or error.
  Result<Ok, std::string> transact(void* buffer, const std::string& what);
  Result<Ok, std::string> set_link_flags(int ifindex, bool up);
  Result<Ok, std::string> change_address(int ifindex, const InterfaceAddress& address, bool add);
  Result<Ok, std::string> change_route(const Route& route, bool add);

  RtnetlinkSocket socket_;
};

}  // namespace tandem::io
