#include "profile/mobileconfig_profile.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <span>

#include "crypto/key_encoding.hpp"

namespace tandem::profile {
namespace {

// Apple's "SharedSecret" IPsec authentication, for IKEv1 (L2TP) and IKEv2 alike.
constexpr std::string_view kSharedSecret = "SharedSecret";

// Property-list XML, one element a line, indented by nesting.
class Plist {
 public:
  void key(std::string_view k) { line("<key>" + xml_escape(k) + "</key>"); }
  void string(std::string_view k, std::string_view v) {
    key(k);
    line("<string>" + xml_escape(v) + "</string>");
  }
  void integer(std::string_view k, long v) {
    key(k);
    line("<integer>" + std::to_string(v) + "</integer>");
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    line(v ? "<true/>" : "<false/>");
  }
  void data(std::string_view k, std::string_view bytes) {
    key(k);
    line("<data>" + crypto::base64_encode(std::as_bytes(std::span(bytes))) + "</data>");
  }
  void open(std::string_view element, std::string_view attributes = "") {
    line("<" + std::string(element) + std::string(attributes) + ">");
    ++depth_;
  }
  void close(std::string_view element) {
    --depth_;
    line("</" + std::string(element) + ">");
  }
  // <key>k</key> and a dictionary that `fill` writes.
  template <typename Fill>
  void dict(std::string_view k, Fill fill) {
    key(k);
    open("dict");
    fill();
    close("dict");
  }
  void strings(std::string_view k, const std::vector<std::string>& values) {
    key(k);
    open("array");
    for (const auto& v : values) line("<string>" + xml_escape(v) + "</string>");
    close("array");
  }
  std::string text() const { return out_; }

 private:
  void line(const std::string& s) { out_ += std::string(2 * depth_, ' ') + s + "\n"; }
  std::string out_;
  int depth_ = 0;
};

// The identity as Apple's LocalIdentifier and RemoteIdentifier take it: the device sends an
// address as ID_IPV4_ADDR, user@domain as ID_RFC822_ADDR and any other name as ID_FQDN, which is
// what the prefix says.
std::string bare_identity(const std::string& prefixed) {
  const auto colon = prefixed.find(':');
  return colon == std::string::npos ? prefixed : prefixed.substr(colon + 1);
}

void dns_settings(Plist& p, const ProfileInput& input) {
  if (input.dns.empty()) return;
  p.dict("DNS", [&] {
    std::vector<std::string> servers;
    for (const auto& a : input.dns) servers.push_back(a.to_string());
    p.strings("ServerAddresses", servers);
    if (!input.dns_search.empty()) p.strings("SearchDomains", input.dns_search);
  });
}

// One com.apple.vpn.managed payload: its header, the VPN type's own dictionaries (`body`), then
// the IPv4 and DNS settings every type shares. OverridePrimary sends all IPv4 traffic through
// the tunnel; without it the device routes only the gateway's subnet (the one of the address PPP
// or IKEv2 hands out) through it.
template <typename Body>
void vpn_payload(Plist& p, const ProfileInput& input, std::string_view kind,
                 std::string_view vpn_type, Rng& rng, Body body) {
  p.open("dict");
  p.string("PayloadType", "com.apple.vpn.managed");
  p.integer("PayloadVersion", 1);
  p.string("PayloadIdentifier", payload_identifier(input) + "." + std::string(kind));
  p.string("PayloadUUID", random_uuid(rng));
  p.string("PayloadDisplayName", "VPN (" + std::string(vpn_type) + ")");
  p.string("UserDefinedName", input.display_name() + " (" + std::string(vpn_type) + ")");
  p.string("VPNType", vpn_type);
  body();
  p.dict("IPv4", [&] { p.integer("OverridePrimary", input.full_tunnel() ? 1 : 0); });
  dns_settings(p, input);
  p.close("dict");
}

void l2tp_payload(Plist& p, const ProfileInput& input, Rng& rng) {
  vpn_payload(p, input, "l2tp", "L2TP", rng, [&] {
    p.dict("PPP", [&] {
      p.string("AuthName", input.l2tp->user);
      p.string("AuthPassword", input.l2tp->password);
      p.string("CommRemoteAddress", input.endpoint_host);
    });
    p.dict("IPSec", [&] {
      p.string("AuthenticationMethod", kSharedSecret);
      p.data("SharedSecret", input.l2tp->ipsec_psk);
      p.string("LocalIdentifierType", "KeyID");
    });
  });
}

// Tandem's first IKEv2 proposal (ipsec/ike/v2/config.hpp): AES-GCM-16-256 with PRF-HMAC-SHA256
// and ECP-256; its Child SAs take AES-GCM-16-256 without a PFS group.
void ike_parameters(Plist& p) {
  p.string("EncryptionAlgorithm", "AES-256-GCM");
  p.string("IntegrityAlgorithm", "SHA2-256");
  p.integer("DiffieHellmanGroup", 19);
}

void ikev2_payload(Plist& p, const ProfileInput& input, Rng& rng) {
  vpn_payload(p, input, "ikev2", "IKEv2", rng, [&] {
    p.dict("IKEv2", [&] {
      p.string("RemoteAddress", input.endpoint_host);
      p.string("RemoteIdentifier", bare_identity(input.ike->remote_id));
      p.string("LocalIdentifier", bare_identity(input.ike->local_id));
      p.string("AuthenticationMethod", kSharedSecret);
      p.string("SharedSecret", input.ike->psk);
      p.integer("ExtendedAuthEnabled", 0);
      p.integer("EnablePFS", 0);
      p.dict("IKESecurityAssociationParameters", [&] { ike_parameters(p); });
      p.dict("ChildSecurityAssociationParameters", [&] { ike_parameters(p); });
    });
  });
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"') {
      out += "&quot;";
    } else if (c == '\'') {
      out += "&apos;";
    } else if (u >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
      out += c;
    }
  }
  return out;
}

std::string random_uuid(Rng& rng) {
  std::array<std::byte, 16> b{};
  rng.fill(b);
  b[6] = (b[6] & std::byte{0x0f}) | std::byte{0x40};  // version 4
  b[8] = (b[8] & std::byte{0x3f}) | std::byte{0x80};  // the RFC's variant
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02X", static_cast<unsigned>(b[i]));
    out += hex;
  }
  return out;
}

std::string payload_identifier(const ProfileInput& input) {
  std::string base;
  if (IpAddress::parse(input.endpoint_host)) {
    base = "tandem.";
    for (char c : input.endpoint_host)
      base += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  } else {
    std::string_view rest = input.endpoint_host;
    while (!rest.empty()) {
      const auto dot = rest.rfind('.');
      const std::string_view label = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
      if (!label.empty()) base += (base.empty() ? "" : ".") + std::string(label);
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(0, dot);
    }
  }
  std::string account;
  for (char c : input.account)
    account += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '-';
  return base + ".tandem." + account;
}

Result<std::string, std::string> render_mobileconfig(const ProfileInput& input, Rng& rng) {
  if (auto ok = check_profile_input(input); !ok) return Err(ok.error());
  const bool l2tp = input.l2tp && !input.l2tp->ipsec_psk.empty();
  if (!l2tp && !input.ike)
    return Err("account '" + printable(input.account) +
               "' has neither an L2TP/IPsec login nor an IKEv2 login for Apple's VPN client: "
               "give it a password (with [l2tp] and its [l2tp.ipsec] psk on the gateway) or an "
               "ike_psk (with the gateway's [ipsec])");
  Plist p;
  p.open("plist", " version=\"1.0\"");
  p.open("dict");
  p.key("PayloadContent");
  p.open("array");
  if (l2tp) l2tp_payload(p, input, rng);
  if (input.ike) ikev2_payload(p, input, rng);
  p.close("array");
  p.string("PayloadDisplayName", input.display_name());
  p.string("PayloadDescription",
           "VPN settings for account " + input.account + " (" + input.endpoint_host + ")");
  p.string("PayloadIdentifier", payload_identifier(input));
  p.string("PayloadType", "Configuration");
  p.string("PayloadUUID", random_uuid(rng));
  p.integer("PayloadVersion", 1);
  p.boolean("PayloadRemovalDisallowed", false);
  p.close("dict");
  p.close("plist");
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
         "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n" +
         p.text();
}

}  // namespace tandem::profile
