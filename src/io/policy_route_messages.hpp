// Policy rules and table routes as rtnetlink messages, both ways: the requests PolicyRoutes
// sends (RTM_NEWRULE/RTM_DELRULE, RTM_NEWROUTE/RTM_DELROUTE) and the dump messages it reads
// back. Bytes only; the exchanges with the kernel are in policy_routes.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "io/policy_routes.hpp"

struct nlmsghdr;

namespace tandem::io {

// Room for the largest request built here, with every attribute.
inline constexpr std::size_t kPolicyMessageSize = 512;

// Build the add (`add`) or delete request in `buffer` (kPolicyMessageSize zeroed bytes), with
// `marker` as the protocol. Deletes carry the marker too: the kernel then matches only an entry
// that has it.
nlmsghdr* put_rule_request(char* buffer, const PolicyRule& rule, std::uint8_t marker, bool add);
nlmsghdr* put_route_request(char* buffer, const TableRoute& route, std::uint8_t marker, bool add);

// Who installed a dumped rule or route (its protocol) and in which table it is; nothing for
// families other than IPv4 and IPv6.
struct EntryTag {
  std::uint8_t protocol = 0;
  std::uint32_t table = 0;
};
std::optional<EntryTag> rule_tag(const nlmsghdr* message);
std::optional<EntryTag> route_tag(const nlmsghdr* message);

// A dumped rule or route as a value; nothing for shapes PolicyRoutes does not install (a rule
// whose action is not a table lookup, a route via a gateway).
std::optional<PolicyRule> rule_from_message(const nlmsghdr* message);
std::optional<TableRoute> route_from_message(const nlmsghdr* message);

// The rule with the selectors the kernel stores as "none" (a /0 prefix, protocol 0, a zero mark
// under a zero mask) taken out, so that it compares equal to what a dump gives back.
PolicyRule normalized(PolicyRule rule);

}  // namespace tandem::io
