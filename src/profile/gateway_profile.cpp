#include "profile/gateway_profile.hpp"

#include <algorithm>

#include "crypto/key_encoding.hpp"
#include "crypto/mschap.hpp"

namespace tandem::profile {
namespace {

std::string label(const control::AccountConfig& account) {
  return "account '" + printable(account.name) + "'";
}

Result<const control::AccountConfig*, std::string> find_account(const control::NodeConfig& gateway,
                                                                const std::string& name) {
  if (!gateway.interface || gateway.accounts.empty())
    return Err(std::string(
        "not a hybrid gateway's config: it has no [[account]] sections to make a profile of"));
  std::string names;
  for (const auto& a : gateway.accounts) {
    if (a.name == name) {
      if (a.disabled)
        return Err(label(a) +
                   " is disabled (disabled = true), so the gateway refuses it; "
                   "enable it before handing out its profile");
      return &a;
    }
    names += (names.empty() ? "" : ", ") + printable(a.name);
  }
  return Err("no account '" + printable(name) + "' in the gateway's config (it has " + names + ")");
}

// HOST, HOST:PORT, [V6]:PORT or a bare IPv6 address.
Result<Ok, std::string> read_endpoint(const control::NodeConfig& gateway,
                                      const std::string& endpoint, ProfileInput& input) {
  if (auto hp = control::split_host_port(endpoint)) {
    input.endpoint_host = hp->first;
    input.wireguard_port = hp->second;
  } else if (auto v6 = IpAddress::parse(endpoint); v6 && v6->is_v6()) {
    input.endpoint_host = endpoint;
  } else if (endpoint.find(':') == std::string::npos && !endpoint.empty()) {
    input.endpoint_host = endpoint;
  } else {
    return Err("the endpoint '" + printable(endpoint) +
               "' must be HOST, HOST:PORT or [IPv6]:PORT (how clients reach the gateway)");
  }
  const bool port_given = control::split_host_port(endpoint).has_value();
  if (!port_given) {
    if (gateway.interface->listen_port == 0)
      return Err(std::string(
          "the gateway's [interface] has no listen_port, so its WireGuard port is not known: "
          "give the endpoint as HOST:PORT, or set listen_port"));
    input.wireguard_port = gateway.interface->listen_port;
  }
  return Ok{};
}

Result<Ok, std::string> read_addresses(const control::NodeConfig& gateway,
                                       const control::AccountConfig& account, ProfileInput& input,
                                       std::vector<std::string>& warnings) {
  if (account.ipv4) input.addresses.push_back(*account.ipv4);
  if (account.ipv6) input.addresses.push_back(*account.ipv6);
  if (input.addresses.empty())
    return Err(label(account) +
               " has no fixed address: the running gateway leases it from [accounts] pool and "
               "keeps the lease in its state store, which a profile made from the config cannot "
               "read; give the account address = \"...\" (and address6) in the gateway's config");
  if (!account.ipv4 && gateway.account_pool.v4_first)
    warnings.push_back(label(account) +
                       "'s IPv4 address is leased by the running gateway (from [accounts] pool): "
                       "the profile carries its fixed IPv6 address only");
  if (!account.ipv6 && gateway.account_pool.v6)
    warnings.push_back(label(account) +
                       "'s IPv6 address is leased by the running gateway (from [accounts] pool6): "
                       "the profile carries its fixed IPv4 address only");
  return Ok{};
}

Result<Ok, std::string> read_wireguard_key(const control::AccountConfig& account,
                                           const ProfileRequest& request, ProfileInput& input) {
  if (!request.private_key) return Ok{};
  const crypto::PublicKey public_key = crypto::x25519_public_key(*request.private_key);
  if (account.public_keys.empty())
    return Err(label(account) + " has no WireGuard public_key: add public_key = \"" +
               crypto::base64_encode(public_key) + "\" (this private key's) to it");
  if (std::find(account.public_keys.begin(), account.public_keys.end(), public_key) ==
      account.public_keys.end())
    return Err("the private key's public key " + crypto::base64_encode(public_key) +
               " is not one of " + label(account) +
               "'s public keys: give the key of the device the account lists, or add this "
               "public key to the account");
  input.private_key = *request.private_key;
  input.preshared_key = account.preshared_key;
  return Ok{};
}

// The password the account logs in with, when the request gives one that matches or the config
// holds it in clear.
Result<std::optional<std::string>, std::string> l2tp_password(const control::AccountConfig& account,
                                                              const ProfileRequest& request,
                                                              std::vector<std::string>& warnings) {
  if (!request.l2tp_password) {
    if (!account.password && account.nt_hash)
      warnings.push_back(label(account) +
                         "'s L2TP password is kept as its NT hash only: the profile has no L2TP "
                         "login unless the password itself is given");
    return account.password;
  }
  const std::string& given = *request.l2tp_password;
  if (!account.password && !account.nt_hash)
    return Err(label(account) + " has no L2TP login (password, password_file or nt_hash)");
  const bool matches = account.password ? *account.password == given
                                        : crypto::nt_password_hash(given) == account.nt_hash;
  if (!matches)
    return Err(std::string("the L2TP password given is not ") + label(account) +
               "'s (its password or nt_hash in the gateway's config)");
  return std::optional<std::string>(given);
}

Result<Ok, std::string> read_logins(const control::NodeConfig& gateway,
                                    const control::AccountConfig& account,
                                    const ProfileRequest& request, ProfileInput& input,
                                    std::vector<std::string>& warnings) {
  if (gateway.l2tp) {
    auto password = l2tp_password(account, request, warnings);
    if (!password) return Err(password.error());
    if (*password)
      input.l2tp = L2tpLogin{account.name, **password,
                             gateway.l2tp->ipsec ? gateway.l2tp->ipsec->psk : std::string()};
  } else if (request.l2tp_password) {
    return Err(
        std::string("the gateway's config has no [l2tp] section, so it serves no L2TP "
                    "login for the password given"));
  }
  if (gateway.ipsec && account.ike_psk && account.ike_id)
    input.ike = IkeLogin{*account.ike_id, gateway.ipsec->local_id, *account.ike_psk};
  return Ok{};
}

void read_network(const control::NodeConfig& gateway, const ProfileRequest& request,
                  ProfileInput& input) {
  const control::InterfaceConfig& interface = *gateway.interface;
  for (const auto& a : interface.addresses)
    if (!input.gateway_address || (a.address.is_v4() && !input.gateway_address->is_v4()))
      input.gateway_address = a.address;
  if (request.full_tunnel) {
    input.routes = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
  } else if (!request.routes.empty()) {
    input.routes = request.routes;
  } else {
    for (const auto& a : interface.addresses) input.routes.emplace_back(a.address, a.prefix_length);
  }
  input.dns = request.dns;
  input.dns_search = request.dns_search;
  // The gateway's split-DNS forwarder first: its listen addresses on port 53 (a client's resolver
  // names no port), with the domains it routes as search domains.
  if (input.dns.empty() && gateway.dns) {
    for (const auto& listen : gateway.dns->listen)
      if (listen.port == control::kDnsPort) input.dns.push_back(listen.address);
    if (!input.dns.empty() && input.dns_search.empty())
      for (const auto& route : gateway.dns->routes)
        for (const auto& domain : route.domains)
          if (control::valid_search_domain(domain)) input.dns_search.push_back(domain);
  }
  if (input.dns.empty() && gateway.l2tp) input.dns = gateway.l2tp->dns;
  if (input.dns.empty() && gateway.ipsec) input.dns = gateway.ipsec->pool_dns;
  if (interface.mtu_given) input.mtu = interface.mtu;
}

}  // namespace

Result<GatewayProfile, std::string> profile_from_gateway(const control::NodeConfig& gateway,
                                                         const ProfileRequest& request) {
  auto account = find_account(gateway, request.account);
  if (!account) return Err(account.error());
  const control::AccountConfig& a = **account;
  GatewayProfile out;
  ProfileInput& input = out.input;
  input.account = a.name;
  input.gateway_public_key = crypto::x25519_public_key(gateway.interface->private_key);
  if (auto ok = read_endpoint(gateway, request.endpoint, input); !ok) return Err(ok.error());
  if (auto ok = read_addresses(gateway, a, input, out.warnings); !ok) return Err(ok.error());
  if (auto ok = read_wireguard_key(a, request, input); !ok) return Err(ok.error());
  if (auto ok = read_logins(gateway, a, request, input, out.warnings); !ok) return Err(ok.error());
  read_network(gateway, request, input);
  if (auto ok = check_profile_input(input); !ok) return Err(ok.error());
  return out;
}

}  // namespace tandem::profile
