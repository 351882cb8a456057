#include "ipsec/policy.hpp"

#include "packet/ip_packet.hpp"

namespace tandem::ipsec {
namespace {

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoSctp = 132;

bool has_ports(std::uint8_t protocol) {
  return protocol == kProtoTcp || protocol == kProtoUdp || protocol == kProtoSctp;
}

bool whole_port_range(const ike::Selector& s) {
  return s.start_port == 0 && s.end_port == 65535;
}

}  // namespace

std::optional<FlowKey> flow_of_ip_packet(ByteView packet) {
  const auto header = packet::parse_ip_header(packet);
  if (!header) return std::nullopt;
  FlowKey flow;
  flow.source = IpAddress::from_bytes(header->source, header->family);
  flow.destination = IpAddress::from_bytes(header->destination, header->family);
  std::size_t transport_offset = 0;
  if (header->family == IpAddress::Family::kV4) {
    flow.protocol = std::to_integer<std::uint8_t>(packet[9]);
    transport_offset = (std::to_integer<std::size_t>(packet[0]) & 0x0f) * 4;
    // A fragment after the first has no transport header; only the first one carries ports.
    const bool later_fragment = (load_be16(packet.data() + 6) & 0x1fff) != 0;
    if (later_fragment) return flow;
  } else {
    // Extension headers are not walked: the Next Header of the fixed header is the protocol.
    flow.protocol = std::to_integer<std::uint8_t>(packet[6]);
    transport_offset = packet::kIpv6HeaderSize;
  }
  if (has_ports(flow.protocol) && header->total_length >= transport_offset + 4) {
    flow.source_port = load_be16(packet.data() + transport_offset);
    flow.destination_port = load_be16(packet.data() + transport_offset + 2);
  }
  return flow;
}

bool selector_matches(const ike::Selector& s, const IpAddress& address, std::uint8_t protocol,
                      std::optional<std::uint16_t> port) {
  if (address.family() != s.start.family() || address < s.start || s.end < address) return false;
  if (s.ip_protocol != 0 && s.ip_protocol != protocol) return false;
  if (whole_port_range(s)) return true;
  return port && *port >= s.start_port && *port <= s.end_port;
}

bool any_selector_matches(const std::vector<ike::Selector>& selectors, const IpAddress& address,
                          std::uint8_t protocol, std::optional<std::uint16_t> port) {
  for (const auto& s : selectors)
    if (selector_matches(s, address, protocol, port)) return true;
  return false;
}

bool transport_inbound_allowed(const std::vector<ike::Selector>& local,
                               const std::vector<ike::Selector>& remote, std::uint8_t protocol,
                               ByteView segment) {
  std::optional<std::uint16_t> source_port;
  std::optional<std::uint16_t> destination_port;
  if (has_ports(protocol)) {
    if (segment.size() < 4) return false;
    source_port = load_be16(segment.data());
    destination_port = load_be16(segment.data() + 2);
  }
  // Addresses are not compared (see the header): only protocol and ports, per side.
  const auto side_allows = [&](const std::vector<ike::Selector>& side,
                               std::optional<std::uint16_t> port) {
    for (const auto& s : side) {
      if (s.ip_protocol != 0 && s.ip_protocol != protocol) continue;
      if (whole_port_range(s) || (port && *port >= s.start_port && *port <= s.end_port))
        return true;
    }
    return false;
  };
  return side_allows(remote, source_port) && side_allows(local, destination_port);
}

bool tunnel_inbound_allowed(const std::vector<ike::Selector>& local,
                            const std::vector<ike::Selector>& remote, ByteView inner_packet) {
  const auto flow = flow_of_ip_packet(inner_packet);
  if (!flow) return false;
  return any_selector_matches(remote, flow->source, flow->protocol, flow->source_port) &&
         any_selector_matches(local, flow->destination, flow->protocol, flow->destination_port);
}

bool tunnel_outbound_matches(const std::vector<ike::Selector>& local,
                             const std::vector<ike::Selector>& remote, const FlowKey& flow) {
  return any_selector_matches(local, flow.source, flow.protocol, flow.source_port) &&
         any_selector_matches(remote, flow.destination, flow.protocol, flow.destination_port);
}

}  // namespace tandem::ipsec
