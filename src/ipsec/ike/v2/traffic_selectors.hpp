// Traffic selectors (RFC 7296 sections 2.9 and 3.13): conversion between the wire form and the
// engine's Selector, and narrowing, the responder's intersection of what the initiator proposed
// with what policy allows. An empty intersection is refused with TS_UNACCEPTABLE.
#pragma once

#include <vector>

#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/v2/message.hpp"

namespace tandem::ipsec::ike::v2 {

std::vector<TrafficSelector> to_wire(const std::vector<Selector>& selectors);
std::vector<Selector> from_wire(const std::vector<TrafficSelector>& selectors);

// Every non-empty intersection of one proposed selector with one allowed selector.
std::vector<Selector> narrow(const std::vector<Selector>& proposed,
                             const std::vector<Selector>& allowed);

// True when every selector of `inner` lies within some selector of `outer` (the initiator's check
// that the responder only narrowed what was proposed).
bool covered_by(const std::vector<Selector>& inner, const std::vector<Selector>& outer);

// One host: the address alone, any protocol and port.
Selector host_selector(const IpAddress& address);
// Every IPv4 address, any protocol and port.
Selector any_ipv4_selector();
Selector any_ipv6_selector();

}  // namespace tandem::ipsec::ike::v2
