// The MTU budget of a stack: every byte each layer adds to an inner packet (headers, IVs, ESP
// padding and trailer, tags), and from that the largest inner packet that fits an underlay MTU.
// A stack is one tunnel or one tunnel nested in another:
//
//   wireguard                 IP(underlay) UDP WireGuard(16 + 16 tag)
//   l2tp                      IP UDP(1701) L2TP(6) PPP(4)                    plain L2TP
//   l2tp-ipsec                IP [UDP 4500] ESP(transport) UDP(1701) L2TP PPP
//   ipsec                     IP [UDP 4500] ESP(tunnel)                      a site's tunnel
//   wireguard-in-l2tp-ipsec   l2tp-ipsec carrying IPv4 UDP WireGuard
//   l2tp-ipsec-in-wireguard   wireguard carrying IPv4 [UDP 4500] ESP UDP L2TP PPP
//
// The sizes are Tandem's own on the wire: L2TP data messages without the optional length and
// sequence fields, PPP with address, control and a two-byte protocol, ESP with the suite's IV
// and ICV and padding to its block (4 bytes for GCM), WireGuard padding capped at the device MTU
// (so a packet of exactly the MTU is not padded). L2TP/IPsec and ESP tunnels run over IPv4.
// Pure computation, no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace tandem::hybrid {

enum class StackKind : std::uint8_t {
  kWireguard,
  kL2tp,
  kL2tpIpsec,
  kIpsecTunnel,
  kWireguardInL2tpIpsec,
  kL2tpIpsecInWireguard,
};

enum class EspSuite : std::uint8_t { kAesGcm16, kAesCbcSha1, kAesCbcSha256, kTripleDesSha1 };

struct StackSpec {
  StackKind kind = StackKind::kWireguard;
  IpAddress::Family underlay = IpAddress::Family::kV4;  // the outermost IP header
  EspSuite esp = EspSuite::kAesGcm16;
  bool esp_in_udp = true;  // NAT-T framing (UDP 4500): Tandem's data path always uses it
};

// One layer's share of a packet of a given size, outermost first.
struct LayerCost {
  std::string name;
  std::size_t bytes = 0;
};

struct MtuBudget {
  std::size_t underlay_mtu = 0;
  std::size_t inner_mtu = 0;      // the largest inner packet whose outer packet fits
  std::size_t outer_size = 0;     // what a packet of inner_mtu becomes (<= underlay_mtu)
  std::vector<LayerCost> layers;  // for a packet of inner_mtu; they sum to outer - inner
};

// What an inner packet of `inner` bytes becomes on the underlay; with `layers`, each layer's
// share of it, outermost first.
std::size_t outer_size(const StackSpec& stack, std::size_t inner,
                       std::vector<LayerCost>* layers = nullptr);

// The budget for an underlay MTU of 576 to 65535 bytes; an error when even an empty inner
// packet does not fit, or when the stack cannot run over the underlay's family.
Result<MtuBudget, std::string> mtu_budget(const StackSpec& stack, std::size_t underlay_mtu);

// The inner MTU of an ESP stack over an IPv4 underlay of `underlay_mtu` with the costliest of
// the suites Tandem offers by default (AES-GCM, AES-CBC with HMAC-SHA1-96 or HMAC-SHA-256-128),
// for when the one negotiated is not known (a device's MTU is set before the SA is up) or may
// change at the next rekey. 0 when nothing fits.
std::size_t costliest_esp_inner_mtu(StackKind kind, std::size_t underlay_mtu);

const char* stack_name(StackKind kind);  // "wireguard", "l2tp-ipsec", ...
std::optional<StackKind> parse_stack(std::string_view name);
const char* esp_suite_name(EspSuite suite);  // "aes-gcm", "aes-cbc-sha1", ...
std::optional<EspSuite> parse_esp_suite(std::string_view name);

}  // namespace tandem::hybrid
