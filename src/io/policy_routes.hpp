// Kernel policy routing over rtnetlink: the `ip rule`s that send a traffic class to a per-path
// routing table, and the routes in those tables (a route out of the path's TUN device, and a
// blackhole or unreachable route beneath it so the class fails closed when the device goes).
//
// Every rule and route installed here carries a marker in its protocol field (FRA_PROTOCOL for
// rules, rtm_protocol for routes), so that a later process can find and delete what an earlier
// one left behind after a crash. The kernel also matches the protocol on delete, so removing a
// plan never takes away a look-alike entry someone else added by hand.
// Not thread-safe: one PolicyRoutes per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/rtnetlink_socket.hpp"

namespace tandem::io {

// Tandem's routing protocol number. 122 (0x7a) is in the range the kernel leaves uninterpreted
// (>= RTPROT_STATIC) and is not among the numbers iproute2's rt_protos reserves for other
// daemons; `ip rule` and `ip route` show it as "proto 122".
inline constexpr std::uint8_t kRtprotTandem = 122;

// Inclusive, as in struct fib_rule_port_range. The kernel accepts 1..65534.
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct FirewallMark {
  std::uint32_t value = 0;
  std::uint32_t mask = 0xffffffff;
  friend bool operator==(const FirewallMark&, const FirewallMark&) = default;
};

// One `ip rule ... lookup <table>`. Unset selectors match everything.
struct PolicyRule {
  std::uint32_t priority = 0;
  IpAddress::Family family = IpAddress::Family::kV4;
  std::optional<IpPrefix> source;
  std::optional<IpPrefix> destination;
  std::optional<std::uint8_t> ip_protocol;  // IPPROTO_TCP, IPPROTO_UDP, ...
  std::optional<PortRange> source_ports;
  std::optional<PortRange> destination_ports;
  // The 6-bit DSCP, matched exactly (ECN bits do not count). Sent as FRA_DSCP rather than in the
  // header's tos byte: for IPv4 the kernel refuses a tos above 0x1c (DSCP 7), and a tos of 0
  // means "any", so DSCP 0 could not be asked for. A kernel too old for FRA_DSCP ignores it;
  // install() then fails rather than leave a rule that matches every DSCP.
  std::optional<std::uint8_t> dscp;
  std::optional<FirewallMark> fwmark;
  std::uint32_t table = 0;

  // In `ip rule` words, for error messages and logs.
  std::string to_string() const;
  friend bool operator==(const PolicyRule&, const PolicyRule&) = default;
};

// A route in a policy table: out of a device, or one that drops (fail closed).
struct TableRoute {
  enum class Kind : std::uint8_t { kDevice, kBlackhole, kUnreachable };

  IpPrefix destination;  // 0.0.0.0/0 or ::/0 for the default route
  std::uint32_t table = 0;
  Kind kind = Kind::kDevice;
  int ifindex = 0;                      // kDevice only
  std::optional<std::uint32_t> metric;  // RTA_PRIORITY; default: the kernel's (IPv4 0, IPv6 1024)

  std::string to_string() const;
  friend bool operator==(const TableRoute&, const TableRoute&) = default;
};

// What one install puts in place, and one remove takes away.
struct PolicyPlan {
  std::vector<PolicyRule> rules;
  std::vector<TableRoute> routes;
};

// A range of routing table ids, both ends included.
struct TableRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  bool contains(std::uint32_t table) const { return table >= first && table <= last; }
};

struct RemovedCount {
  std::size_t rules = 0;
  std::size_t routes = 0;
};

class PolicyRoutes {
 public:
  // `marker` is the protocol number that tags (and later finds) this instance's entries.
  static Result<PolicyRoutes, std::string> open(std::uint8_t marker = kRtprotTandem);

  // Adds every route, then every rule, or nothing: routes go first so that no rule ever points
  // traffic at a table that is still empty (the lookup would fall through to the next rule and
  // leave the tunnel). When a request fails, what this call added is deleted again and the error
  // names the failed entry and the kernel's reason. An entry that already exists, even one
  // left by a crashed run, is a failure ("File exists"): call remove_stale() at start-up.
  Result<Ok, std::string> install(const PolicyPlan& plan);
  // Deletes the plan's rules, then its routes; entries already gone are not an error.
  Result<Ok, std::string> remove(const PolicyPlan& plan);
  // Deletes every rule and route, of both families, that carries the marker (only in `tables`
  // when given): the clean-up after a process that was killed before it could remove().
  Result<RemovedCount, std::string> remove_stale(std::optional<TableRange> tables = std::nullopt);

  // The marked rules and routes as the kernel holds them, in dump order.
  Result<std::vector<PolicyRule>, std::string> list_rules();
  Result<std::vector<TableRoute>, std::string> list_routes();

 private:
  PolicyRoutes(RtnetlinkSocket socket, std::uint8_t marker);

  Result<Ok, int> change_rule(const PolicyRule& rule, bool add);
  Result<Ok, int> change_route(const TableRoute& route, bool add);
  // Deletes the plan's first `rule_count` rules, then its first `route_count` routes, last
  // first, going on past failures; each failure other than "already gone" is added to `errors`.
  void delete_planned(const PolicyPlan& plan, std::size_t rule_count, std::size_t route_count,
                      std::string& errors);
  Result<Ok, std::string> check_installed(const PolicyPlan& plan);

  RtnetlinkSocket socket_;
  std::uint8_t marker_;
};

}  // namespace tandem::io
