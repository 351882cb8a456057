// The policy check of RFC 4301 section 5.2 for Tandem's SAs: after an ESP packet authenticated,
// what it carried must be traffic the SA was negotiated for, or it is dropped. Transport mode
// (L2TP/IPsec: UDP 1701 of that peer) checks the upper-layer protocol and ports; the addresses
// are the outer header's, which the SA's peer owns (behind a NAT the negotiated selectors name
// private addresses the outer header no longer shows). Tunnel mode checks the inner packet's
// source against the peer's selectors and its destination against ours, and the protocol and
// ports where a selector narrows them. The same matching picks the outbound SA for a packet.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "ipsec/ike/actions.hpp"

namespace tandem::ipsec {

// What the selectors look at in a packet.
struct FlowKey {
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;
  std::optional<std::uint16_t> source_port;  // UDP, TCP and SCTP only
  std::optional<std::uint16_t> destination_port;
};

// The flow of a whole IPv4/IPv6 packet; nullopt when it is not one.
std::optional<FlowKey> flow_of_ip_packet(ByteView packet);

// Whether `address`, `protocol` and `port` fall within the selector. A selector with protocol 0
// takes every protocol; one with the whole port range takes packets without ports.
bool selector_matches(const ike::Selector& s, const IpAddress& address, std::uint8_t protocol,
                      std::optional<std::uint16_t> port);
bool any_selector_matches(const std::vector<ike::Selector>& selectors, const IpAddress& address,
                          std::uint8_t protocol, std::optional<std::uint16_t> port);

// Transport mode: a decrypted upper-layer segment with Next Header `protocol` from the peer.
bool transport_inbound_allowed(const std::vector<ike::Selector>& local,
                               const std::vector<ike::Selector>& remote, std::uint8_t protocol,
                               ByteView segment);
// Tunnel mode: a decrypted inner packet from the peer's side to ours.
bool tunnel_inbound_allowed(const std::vector<ike::Selector>& local,
                            const std::vector<ike::Selector>& remote, ByteView inner_packet);
// Tunnel mode: whether an inner packet of ours belongs in an SA with these selectors.
bool tunnel_outbound_matches(const std::vector<ike::Selector>& local,
                             const std::vector<ike::Selector>& remote, const FlowKey& flow);

}  // namespace tandem::ipsec
