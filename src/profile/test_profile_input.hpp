// The account the profile tests describe: alice at vpn.example.org with WireGuard (a pre-shared
// key too), L2TP/IPsec and IKEv2, a split tunnel to the gateway's subnets, DNS and an MTU.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "crypto/key_encoding.hpp"
#include "profile/profile_input.hpp"

namespace tandem::profile::testing {

inline constexpr std::string_view kClientPrivateKey =
    "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
inline constexpr std::string_view kGatewayPublicKey =
    "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
inline constexpr std::string_view kPresharedKey = "/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=";

inline crypto::Key32 key32(std::string_view base64) {
  const auto bytes = crypto::decode_key_base64(base64);
  return crypto::Key32(std::span<const std::byte, 32>(*bytes));
}

inline ProfileInput sample_input() {
  ProfileInput in;
  in.account = "alice";
  in.private_key = key32(kClientPrivateKey);
  in.preshared_key = key32(kPresharedKey);
  in.gateway_public_key = *crypto::decode_key_base64(kGatewayPublicKey);
  in.addresses = {*IpAddress::parse("10.77.0.2"), *IpAddress::parse("fd77::2")};
  in.endpoint_host = "vpn.example.org";
  in.wireguard_port = 51820;
  in.gateway_address = *IpAddress::parse("10.77.0.1");
  in.l2tp = L2tpLogin{"alice", "correct horse", "l2tp ipsec pre-shared key"};
  in.ike = IkeLogin{"rfc822:alice@example.org", "fqdn:vpn.example.org", "ike key of sixteen+"};
  in.dns = {*IpAddress::parse("10.77.0.53")};
  in.dns_search = {"corp.example"};
  in.routes = {*IpPrefix::parse("10.77.0.0/24"), *IpPrefix::parse("fd77::/64"),
               *IpPrefix::parse("192.168.50.0/24")};
  in.mtu = 1380;
  return in;
}

// What a generator made ("" and a failure when it refused).
inline std::string made(const Result<std::string, std::string>& r) {
  EXPECT_TRUE(r) << r.error();
  return r ? *r : std::string();
}

// Why a generator refused ("" and a failure when it did not).
inline std::string refusal(const Result<std::string, std::string>& r) {
  EXPECT_FALSE(r) << *r;
  return r ? std::string() : r.error();
}

// Whether `line` is a whole line of `text`.
inline bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace tandem::profile::testing
