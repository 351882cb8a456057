#include "profile/tandem_client_profile.hpp"

#include <algorithm>

#include "control/config.hpp"

namespace tandem::profile {
namespace {

// The fallback needs its probe target routed into the tunnel (hybrid_config.cpp refuses it
// otherwise); a split profile without it gets the gateway's address as a host route.
std::vector<IpPrefix> allowed_ips(const ProfileInput& input, const IpAddress& gateway) {
  std::vector<IpPrefix> out = input.routes;
  if (std::none_of(out.begin(), out.end(), [&](const IpPrefix& p) { return p.contains(gateway); }))
    out.emplace_back(gateway, gateway.is_v4() ? 32 : 128);
  return out;
}

bool can_fall_back(const ProfileInput& input) {
  if (!input.l2tp || !input.gateway_address) return false;
  // Probes leave from the client's address of the gateway's family.
  return std::any_of(input.addresses.begin(), input.addresses.end(), [&](const IpAddress& a) {
    return a.family() == input.gateway_address->family();
  });
}

control::NodeConfig wireguard_part(const ProfileInput& input, bool fallback) {
  control::InterfaceConfig interface;
  interface.name = input.interface_name;
  interface.private_key = *input.private_key;
  for (const auto& a : input.addresses) interface.addresses.push_back({a, a.is_v4() ? 32u : 128u});
  if (input.mtu) {
    interface.mtu = *input.mtu;
    interface.mtu_given = true;
  }
  interface.dns = input.dns;
  interface.dns_search = input.dns_search;
  control::PeerConfig gateway;
  gateway.name = "gateway";
  gateway.public_key = input.gateway_public_key;
  gateway.preshared_key = input.preshared_key;
  gateway.endpoint_host = input.endpoint_host;
  gateway.endpoint_port = input.wireguard_port;
  gateway.allowed_ips = fallback ? allowed_ips(input, *input.gateway_address) : input.routes;
  gateway.persistent_keepalive = input.persistent_keepalive;
  control::NodeConfig node;
  node.interface = std::move(interface);
  node.peers.push_back(std::move(gateway));
  return node;
}

std::string l2tp_part(const ProfileInput& input) {
  const L2tpLogin& login = *input.l2tp;
  std::string out = "\n[l2tp]\nmode = \"lac\"\n";
  out += "server = " + control::toml_string(input.endpoint_host) + "\n";
  // The gateway serves plain L2TP only; what this client would send it is not encrypted.
  if (login.ipsec_psk.empty()) out += "allow_unencrypted = true\n";
  out += "\n[[l2tp.session]]\n";
  out += "user = " + control::toml_string(login.user) + "\n";
  out += "password = " + control::toml_string(login.password) + "\n";
  if (!login.ipsec_psk.empty())
    out += "\n[l2tp.ipsec]\npsk = " + control::toml_string(login.ipsec_psk) + "\n";
  out +=
      "\n[fallback]\ngateway = " + control::toml_string(input.gateway_address->to_string()) + "\n";
  return out;
}

}  // namespace

Result<std::string, std::string> render_tandem_client(const ProfileInput& input) {
  if (auto ok = check_wireguard_input(input, "a Tandem client profile"); !ok)
    return Err(ok.error());
  const bool fallback = can_fall_back(input);
  std::string wireguard = control::render_node_config_toml(wireguard_part(input, fallback));
  // Our own heading replaces the renderer's.
  if (wireguard.starts_with('#')) wireguard.erase(0, wireguard.find('\n') + 1);
  std::string out =
      "# " + printable(input.display_name()) + ": account " + printable(input.account) + " at " +
      input.endpoint_host + ". " +
      (fallback ? "WireGuard first, L2TP/IPsec while WireGuard is lost." : "WireGuard.") +
      "\n# Run: tandem up THIS.toml (the file holds the account's secrets: keep it "
      "0600)\n";
  out += wireguard;
  if (fallback) out += l2tp_part(input);
  return out;
}

}  // namespace tandem::profile
