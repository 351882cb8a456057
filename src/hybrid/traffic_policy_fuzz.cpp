// Fuzzes what reads arbitrary inner packets for parallel paths: the traffic rules (match and
// decide) and the gateway router's flow memory (on_inbound records a flow, route looks up its
// reply). Neither may read past the packet, and their answers must agree with themselves: a
// decision names the rule that matched, a packet no rule takes follows the fallback, and the
// router only ever routes to a path of the destination's account.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "hybrid/accounts.hpp"
#include "hybrid/gateway_router.hpp"
#include "hybrid/traffic_policy.hpp"
#include "packet/ip_packet.hpp"

using namespace tandem;
using namespace tandem::hybrid;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

TrafficPolicy make_policy() {
  TrafficRule web;
  web.name = "web";
  web.protocol = 6;
  web.destination_ports = PortRange{443, 443};
  web.path = PathRole::kSecondary;
  TrafficRule lan;
  lan.name = "lan";
  lan.sources = {*IpPrefix::parse("10.77.0.0/25"), *IpPrefix::parse("fd77::/33")};
  lan.dscp = 46;
  lan.fail_closed = true;
  TrafficRule dns;
  dns.name = "dns";
  dns.source_ports = PortRange{1024, 65535};
  dns.destination_ports = PortRange{53, 53};
  dns.destinations = {*IpPrefix::parse("10.0.0.0/8")};
  dns.path = PathRole::kSecondary;
  return TrafficPolicy({web, lan, dns});
}

AccountTable make_accounts() {
  AccountSpec a;
  a.name = "alice";
  a.ipv4 = *IpAddress::parse("10.77.0.10");
  a.ipv6 = *IpAddress::parse("fd77::10");
  AccountSpec b = a;
  b.name = "bob";
  b.ipv4 = *IpAddress::parse("10.77.0.20");
  b.ipv6 = *IpAddress::parse("fd77::20");
  return std::move(AccountTable::create({a, b}, AddressPlan{})).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static TrafficPolicy policy = make_policy();
  static const AccountTable accounts = make_accounts();
  // An exact-size copy, so that any read past the packet is caught.
  std::vector<std::byte> packet(size);
  for (std::size_t i = 0; i < size; ++i) packet[i] = std::byte{data[i]};
  const ByteView bytes(packet);

  const auto rule = policy.match(bytes);
  const bool primary_ok = size > 0 && (data[0] & 1) != 0;
  const bool secondary_ok = size > 0 && (data[0] & 2) != 0;
  const auto d = policy.decide(bytes, PathRole::kPrimary, primary_ok, secondary_ok);
  require(d.rule == rule);
  if (!rule) require(d.path == PathRole::kPrimary);
  if (d.path == std::nullopt) require(rule && policy.rules()[*rule].fail_closed);

  // Alice on two paths, bob on one: whatever arrives, a route goes to its account's paths.
  GatewayRouter router(accounts, {*IpAddress::parse("10.77.0.1")});
  require(router.attach(1, 1, TimePoint{}));
  require(router.attach(2, 1, TimePoint{}));
  require(router.attach(3, 2, TimePoint{}));
  for (PathId path = 1; path <= 3; ++path) (void)router.on_inbound(path, bytes, TimePoint{});
  const RouteDecision r = router.route(bytes);
  if (r.path) {
    const auto owner = router.account_of(*r.path);
    require(owner.has_value());
    const auto header = packet::parse_ip_header(bytes);
    require(header.has_value());
    require(accounts.owner_of(IpAddress::from_bytes(header->destination, header->family)) == owner);
  }
  return 0;
}
