#include "profile/wg_quick_profile.hpp"

#include "crypto/key_encoding.hpp"

namespace tandem::profile {
namespace {

template <typename T, typename Text>
std::string joined(const std::vector<T>& items, Text text) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + text(item);
  return out;
}

std::string host_prefix(const IpAddress& a) {
  return a.to_string() + (a.is_v4() ? "/32" : "/128");
}

std::string dns_line(const ProfileInput& input) {
  std::string out = joined(input.dns, [](const IpAddress& a) { return a.to_string(); });
  for (const auto& domain : input.dns_search) out += ", " + domain;
  return out;
}

}  // namespace

Result<std::string, std::string> render_wg_quick(const ProfileInput& input) {
  if (auto ok = check_wireguard_input(input, "a WireGuard profile"); !ok) return Err(ok.error());
  std::string out = "[Interface]\n";
  out += "PrivateKey = " + crypto::base64_encode(input.private_key->bytes()) + "\n";
  out += "Address = " + joined(input.addresses, host_prefix) + "\n";
  // wg-quick hands search domains to resolvconf beside the servers; alone they mean nothing.
  if (!input.dns.empty()) out += "DNS = " + dns_line(input) + "\n";
  if (input.mtu) out += "MTU = " + std::to_string(*input.mtu) + "\n";
  out += "\n[Peer]\n";
  out += "PublicKey = " + crypto::base64_encode(input.gateway_public_key) + "\n";
  if (input.preshared_key)
    out += "PresharedKey = " + crypto::base64_encode(input.preshared_key->bytes()) + "\n";
  out += "Endpoint = " + input.wireguard_endpoint() + "\n";
  out += "AllowedIPs = " + joined(input.routes, [](const IpPrefix& p) { return p.to_string(); }) +
         "\n";
  if (input.persistent_keepalive)
    out += "PersistentKeepalive = " + std::to_string(input.persistent_keepalive) + "\n";
  return out;
}

}  // namespace tandem::profile
