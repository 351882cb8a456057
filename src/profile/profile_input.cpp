#include "profile/profile_input.hpp"

#include <algorithm>
#include <cctype>

#include "control/config.hpp"

namespace tandem::profile {
namespace {

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

std::string ProfileInput::display_name() const {
  return connection_name.empty() ? "Tandem " + account : connection_name;
}

bool ProfileInput::full_tunnel() const {
  return std::any_of(routes.begin(), routes.end(),
                     [](const IpPrefix& p) { return p.address().is_v4() && p.length() == 0; });
}

std::vector<IpPrefix> ProfileInput::ipv4_split_routes() const {
  std::vector<IpPrefix> out;
  for (const auto& p : routes)
    if (p.address().is_v4() && p.length() > 0) out.push_back(p);
  return out;
}

std::string ProfileInput::wireguard_endpoint() const {
  const bool v6 = endpoint_host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint_host + "]" : endpoint_host) + ":" + std::to_string(wireguard_port);
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host[0] == '-' || host[0] == '.') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) out += c;
  }
  return out;
}

Result<Ok, std::string> check_profile_input(const ProfileInput& input) {
  if (input.account.empty()) return Err(std::string("the profile needs the account's name"));
  if (has_control_character(input.account) || has_control_character(input.connection_name))
    return Err(std::string("the account and connection names must not hold control characters"));
  if (!control::valid_interface_name(input.interface_name))
    return Err("'" + printable(input.interface_name) +
               "' is not an interface name (1-15 characters of A-Z a-z 0-9 _ . - = +)");
  const auto literal = IpAddress::parse(input.endpoint_host);
  if (!literal && !valid_host_name(input.endpoint_host))
    return Err("the endpoint '" + printable(input.endpoint_host) +
               "' is neither an IP address nor a DNS name");
  for (const auto& domain : input.dns_search)
    if (!control::valid_search_domain(domain))
      return Err("'" + printable(domain) + "' is not a DNS search domain");
  if (!input.dns_search.empty() && input.dns.empty())
    return Err(std::string("DNS search domains need a name server to ask: give one with them"));
  if (input.l2tp && (has_control_character(input.l2tp->user) || input.l2tp->user.empty()))
    return Err(std::string("the L2TP user name must be set and hold no control characters"));
  return Ok{};
}

Result<Ok, std::string> check_wireguard_input(const ProfileInput& input, std::string_view what) {
  if (auto ok = check_profile_input(input); !ok) return ok;
  const std::string needs = std::string(what) + " needs ";
  if (!input.private_key) return Err(needs + "the client's private key");
  if (input.addresses.empty()) return Err(needs + "the account's inner address");
  if (input.routes.empty()) return Err(needs + "the routes the tunnel carries");
  return Ok{};
}

}  // namespace tandem::profile
