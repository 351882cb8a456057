#include "io/policy_route_messages.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace tandem::io {
namespace {

// FRA_DSCP (a u8 holding the 6-bit DSCP) follows FRA_DPORT_RANGE in the kernel's enum; this
// system's <linux/fib_rules.h> predates it. A kernel without it ignores the attribute, which
// PolicyRoutes::install() notices when it reads the rule back.
constexpr std::uint16_t kFraDscp = FRA_DPORT_RANGE + 1;

unsigned char address_family(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? AF_INET : AF_INET6;
}

// The header's table byte; ids past 255 travel only in the u32 attribute.
unsigned char table_byte(std::uint32_t table) {
  return static_cast<unsigned char>(table < 256 ? table : RT_TABLE_UNSPEC);
}

std::uint8_t route_type(TableRoute::Kind kind) {
  switch (kind) {
    case TableRoute::Kind::kBlackhole:
      return RTN_BLACKHOLE;
    case TableRoute::Kind::kUnreachable:
      return RTN_UNREACHABLE;
    case TableRoute::Kind::kDevice:
      break;
  }
  return RTN_UNICAST;
}

void put_prefix(nlmsghdr* nlh, std::uint16_t type, const IpPrefix& prefix) {
  const IpAddress& a = prefix.address();
  mnl_attr_put(nlh, type, static_cast<std::uint16_t>(a.size()), a.data());
}

void put_port_range(nlmsghdr* nlh, std::uint16_t type, const PortRange& ports) {
  const fib_rule_port_range range{ports.first, ports.last};
  mnl_attr_put(nlh, type, sizeof range, &range);
}

// The attributes of one message, by type; later duplicates win, unknown types are ignored.
struct Attributes {
  std::array<const nlattr*, 64> by_type{};

  const nlattr* operator[](std::size_t type) const { return by_type[type]; }
  std::optional<std::uint32_t> u32(std::size_t type) const {
    const nlattr* a = by_type[type];
    if (a == nullptr || mnl_attr_get_payload_len(a) != sizeof(std::uint32_t)) return std::nullopt;
    return mnl_attr_get_u32(a);
  }
  std::optional<std::uint8_t> u8(std::size_t type) const {
    const nlattr* a = by_type[type];
    if (a == nullptr || mnl_attr_get_payload_len(a) != sizeof(std::uint8_t)) return std::nullopt;
    return mnl_attr_get_u8(a);
  }
};

int collect_attribute(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attributes*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type < attrs->by_type.size()) attrs->by_type[type] = attr;
  return MNL_CB_OK;
}

Attributes attributes_of(const nlmsghdr* nlh, std::size_t header_size) {
  Attributes attrs;
  mnl_attr_parse(nlh, static_cast<unsigned>(header_size), collect_attribute, &attrs);
  return attrs;
}

std::optional<IpAddress::Family> family_of(unsigned char af) {
  if (af == AF_INET) return IpAddress::Family::kV4;
  if (af == AF_INET6) return IpAddress::Family::kV6;
  return std::nullopt;
}

// A prefix from an address attribute and its length in the header; a missing attribute with
// length 0 is the whole family's space.
std::optional<IpPrefix> prefix_of(const nlattr* attr, IpAddress::Family family, unsigned length) {
  const std::size_t size = family == IpAddress::Family::kV4 ? 4 : 16;
  if (attr == nullptr) {
    if (length != 0) return std::nullopt;
    return IpPrefix(family == IpAddress::Family::kV4 ? IpAddress() : IpAddress::v6({}), 0);
  }
  if (mnl_attr_get_payload_len(attr) != size) return std::nullopt;
  const auto* bytes = static_cast<const std::byte*>(mnl_attr_get_payload(attr));
  return IpPrefix(IpAddress::from_bytes(bytes, family), length);
}

std::optional<PortRange> port_range_of(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_get_payload_len(attr) != sizeof(fib_rule_port_range))
    return std::nullopt;
  fib_rule_port_range range{};
  std::memcpy(&range, mnl_attr_get_payload(attr), sizeof range);
  return PortRange{range.start, range.end};
}

}  // namespace

nlmsghdr* put_rule_request(char* buffer, const PolicyRule& rule, std::uint8_t marker, bool add) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
  // Without EXCL the kernel adds a second identical rule, which remove() would not account for.
  if (add) nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = address_family(rule.family);
  frh->action = FR_ACT_TO_TBL;
  frh->table = table_byte(rule.table);
  mnl_attr_put_u32(nlh, FRA_TABLE, rule.table);
  mnl_attr_put_u32(nlh, FRA_PRIORITY, rule.priority);
  mnl_attr_put_u8(nlh, FRA_PROTOCOL, marker);
  if (rule.source && rule.source->length() > 0) {
    frh->src_len = static_cast<unsigned char>(rule.source->length());
    put_prefix(nlh, FRA_SRC, *rule.source);
  }
  if (rule.destination && rule.destination->length() > 0) {
    frh->dst_len = static_cast<unsigned char>(rule.destination->length());
    put_prefix(nlh, FRA_DST, *rule.destination);
  }
  if (rule.ip_protocol) mnl_attr_put_u8(nlh, FRA_IP_PROTO, *rule.ip_protocol);
  if (rule.source_ports) put_port_range(nlh, FRA_SPORT_RANGE, *rule.source_ports);
  if (rule.destination_ports) put_port_range(nlh, FRA_DPORT_RANGE, *rule.destination_ports);
  if (rule.dscp) mnl_attr_put_u8(nlh, kFraDscp, *rule.dscp);
  if (rule.fwmark) {
    mnl_attr_put_u32(nlh, FRA_FWMARK, rule.fwmark->value);
    mnl_attr_put_u32(nlh, FRA_FWMASK, rule.fwmark->mask);
  }
  return nlh;
}

nlmsghdr* put_route_request(char* buffer, const TableRoute& route, std::uint8_t marker, bool add) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
  if (add) nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  const bool device = route.kind == TableRoute::Kind::kDevice;
  rtm->rtm_family = address_family(route.destination.address().family());
  rtm->rtm_dst_len = static_cast<unsigned char>(route.destination.length());
  // The marker goes on deletes too: the kernel then deletes only a route that carries it.
  rtm->rtm_protocol = marker;
  // A delete with scope NOWHERE matches any scope, as `ip route del` does.
  rtm->rtm_scope = !add ? RT_SCOPE_NOWHERE : device ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  rtm->rtm_type = route_type(route.kind);
  rtm->rtm_table = table_byte(route.table);
  mnl_attr_put_u32(nlh, RTA_TABLE, route.table);
  if (route.destination.length() > 0) put_prefix(nlh, RTA_DST, route.destination);
  if (device) mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(route.ifindex));
  if (route.metric) mnl_attr_put_u32(nlh, RTA_PRIORITY, *route.metric);
  return nlh;
}

std::optional<EntryTag> rule_tag(const nlmsghdr* nlh) {
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  if (!family_of(frh->family)) return std::nullopt;  // multicast routing rules
  const Attributes attrs = attributes_of(nlh, sizeof(fib_rule_hdr));
  return EntryTag{attrs.u8(FRA_PROTOCOL).value_or(RTPROT_UNSPEC),
                  attrs.u32(FRA_TABLE).value_or(frh->table)};
}

std::optional<EntryTag> route_tag(const nlmsghdr* nlh) {
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (!family_of(rtm->rtm_family)) return std::nullopt;
  const Attributes attrs = attributes_of(nlh, sizeof(rtmsg));
  return EntryTag{rtm->rtm_protocol, attrs.u32(RTA_TABLE).value_or(rtm->rtm_table)};
}

std::optional<PolicyRule> rule_from_message(const nlmsghdr* nlh) {
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  const auto family = family_of(frh->family);
  if (!family || frh->action != FR_ACT_TO_TBL) return std::nullopt;
  const Attributes attrs = attributes_of(nlh, sizeof(fib_rule_hdr));
  PolicyRule rule;
  rule.family = *family;
  rule.priority = attrs.u32(FRA_PRIORITY).value_or(0);
  rule.table = attrs.u32(FRA_TABLE).value_or(frh->table);
  if (frh->src_len > 0) rule.source = prefix_of(attrs[FRA_SRC], *family, frh->src_len);
  if (frh->dst_len > 0) rule.destination = prefix_of(attrs[FRA_DST], *family, frh->dst_len);
  rule.ip_protocol = attrs.u8(FRA_IP_PROTO);
  rule.source_ports = port_range_of(attrs[FRA_SPORT_RANGE]);
  rule.destination_ports = port_range_of(attrs[FRA_DPORT_RANGE]);
  rule.dscp = attrs.u8(kFraDscp);
  // A rule added the legacy way (`ip rule ... tos`) holds its DSCP in the header.
  if (!rule.dscp && frh->tos != 0) rule.dscp = static_cast<std::uint8_t>(frh->tos >> 2);
  const auto mark = attrs.u32(FRA_FWMARK);
  const auto mask = attrs.u32(FRA_FWMASK);
  if (mark || mask) rule.fwmark = FirewallMark{mark.value_or(0), mask.value_or(0xffffffff)};
  return rule;
}

std::optional<TableRoute> route_from_message(const nlmsghdr* nlh) {
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  const auto family = family_of(rtm->rtm_family);
  if (!family) return std::nullopt;
  const Attributes attrs = attributes_of(nlh, sizeof(rtmsg));
  const auto destination = prefix_of(attrs[RTA_DST], *family, rtm->rtm_dst_len);
  if (!destination) return std::nullopt;
  TableRoute route;
  route.destination = *destination;
  route.table = attrs.u32(RTA_TABLE).value_or(rtm->rtm_table);
  route.metric = attrs.u32(RTA_PRIORITY);
  if (rtm->rtm_type == RTN_BLACKHOLE) {
    route.kind = TableRoute::Kind::kBlackhole;
  } else if (rtm->rtm_type == RTN_UNREACHABLE) {
    route.kind = TableRoute::Kind::kUnreachable;
  } else if (rtm->rtm_type == RTN_UNICAST && attrs.u32(RTA_OIF) && !attrs[RTA_GATEWAY]) {
    route.ifindex = static_cast<int>(*attrs.u32(RTA_OIF));
  } else {
    return std::nullopt;  // a gateway or multipath route: not a shape this file installs
  }
  return route;
}

// Selectors the kernel stores as "no selector" (a /0 prefix, protocol 0, a zero mark under a
// zero mask), so that a plan's rule compares equal to what a dump gives back.
PolicyRule normalized(PolicyRule rule) {
  if (rule.source && rule.source->length() == 0) rule.source.reset();
  if (rule.destination && rule.destination->length() == 0) rule.destination.reset();
  if (rule.ip_protocol == 0) rule.ip_protocol.reset();
  if (rule.fwmark && rule.fwmark->value == 0 && rule.fwmark->mask == 0) rule.fwmark.reset();
  return rule;
}

}  // namespace tandem::io
