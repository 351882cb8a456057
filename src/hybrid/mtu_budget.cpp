// MtuBudget (mtu_budget.hpp): a stack as its layers, innermost first, each adding its bytes to
// the packet it wraps; the inner MTU is found by search, since ESP's padding makes the
// overhead depend on the size.
#include "hybrid/mtu_budget.hpp"

#include <algorithm>
#include <array>

namespace tandem::hybrid {
namespace {

constexpr std::size_t kIpv4Header = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kWireguardHeader = 16;  // type, reserved, receiver index, counter
constexpr std::size_t kWireguardTag = 16;
constexpr std::size_t kL2tpDataHeader = 6;  // flags, tunnel, session: no length, no Ns/Nr
constexpr std::size_t kPppHeader = 4;       // FF 03 and a two-byte protocol
constexpr std::size_t kEspHeader = 8;       // SPI and sequence number
constexpr std::size_t kEspTrailer = 2;      // pad length and next header
constexpr std::size_t kMinUnderlay = 576;
constexpr std::size_t kMaxUnderlay = 65535;

struct SuiteSizes {
  std::size_t iv, block, icv;
};

SuiteSizes sizes_of(EspSuite suite) {
  switch (suite) {
    case EspSuite::kAesGcm16:
      return {8, 4, 16};
    case EspSuite::kAesCbcSha1:
      return {16, 16, 12};
    case EspSuite::kAesCbcSha256:
      return {16, 16, 16};
    case EspSuite::kTripleDesSha1:
      return {8, 8, 12};
  }
  return {8, 4, 16};
}

enum class Step : std::uint8_t {
  kPppOverL2tp,  // PPP, the L2TP data header and the UDP 1701 header in front of it
  kEsp,          // ESP header, IV, padding, trailer and ICV around its payload
  kNatT,         // the UDP 4500 header in front of ESP
  kIpv4,
  kIpv6,
  kWireguardV4,  // IPv4, UDP, the WireGuard header and tag
  kWireguardV6,
};

std::vector<Step> steps_of(const StackSpec& s) {
  const bool v6 = s.underlay == IpAddress::Family::kV6;
  const Step ip = v6 ? Step::kIpv6 : Step::kIpv4;
  const Step wireguard = v6 ? Step::kWireguardV6 : Step::kWireguardV4;
  std::vector<Step> out;
  // PPP in L2TP in ESP: L2TP/IPsec up to (not including) its IP header.
  const auto l2tp_ipsec = [&] {
    out.push_back(Step::kPppOverL2tp);
    out.push_back(Step::kEsp);
    if (s.esp_in_udp) out.push_back(Step::kNatT);
  };
  switch (s.kind) {
    case StackKind::kWireguard:
      out.push_back(wireguard);
      break;
    case StackKind::kL2tp:
      out.push_back(Step::kPppOverL2tp);
      out.push_back(ip);
      break;
    case StackKind::kL2tpIpsec:
      l2tp_ipsec();
      out.push_back(ip);
      break;
    case StackKind::kIpsecTunnel:
      out.push_back(Step::kEsp);
      if (s.esp_in_udp) out.push_back(Step::kNatT);
      out.push_back(ip);
      break;
    case StackKind::kWireguardInL2tpIpsec:
      // WireGuard's own underlay is the PPP session's IPv4.
      out.push_back(Step::kWireguardV4);
      l2tp_ipsec();
      out.push_back(ip);
      break;
    case StackKind::kL2tpIpsecInWireguard:
      // L2TP/IPsec's underlay is the WireGuard tunnel's inner IPv4.
      l2tp_ipsec();
      out.push_back(Step::kIpv4);
      out.push_back(wireguard);
      break;
  }
  return out;
}

void add(std::vector<LayerCost>* layers, std::string name, std::size_t bytes) {
  if (layers) layers->push_back({std::move(name), bytes});
}

// Wraps a packet of `size` bytes in `step`; returns the new size, noting each part's bytes.
std::size_t wrap(Step step, std::size_t size, const StackSpec& s, std::vector<LayerCost>* out) {
  switch (step) {
    case Step::kPppOverL2tp:
      add(out, "PPP (address, control, protocol)", kPppHeader);
      add(out, "L2TP data header", kL2tpDataHeader);
      add(out, "UDP (L2TP, port 1701)", kUdpHeader);
      return size + kPppHeader + kL2tpDataHeader + kUdpHeader;
    case Step::kEsp: {
      const SuiteSizes z = sizes_of(s.esp);
      const std::size_t padded = (size + kEspTrailer + z.block - 1) / z.block * z.block;
      // Noted innermost first like the rest; mtu_budget() turns the list around.
      add(out, std::string("ESP ICV (") + esp_suite_name(s.esp) + ")", z.icv);
      add(out, "ESP padding and trailer", padded - size);
      add(out, "ESP IV", z.iv);
      add(out, "ESP header", kEspHeader);
      return kEspHeader + z.iv + padded + z.icv;
    }
    case Step::kNatT:
      add(out, "UDP (ESP in UDP, port 4500)", kUdpHeader);
      return size + kUdpHeader;
    case Step::kIpv4:
      add(out, "IPv4 header", kIpv4Header);
      return size + kIpv4Header;
    case Step::kIpv6:
      add(out, "IPv6 header", kIpv6Header);
      return size + kIpv6Header;
    case Step::kWireguardV4:
    case Step::kWireguardV6: {
      // Padding to 16 is capped at the device MTU: at the MTU itself it adds nothing.
      const std::size_t ip = step == Step::kWireguardV4 ? kIpv4Header : kIpv6Header;
      add(out, "WireGuard tag", kWireguardTag);
      add(out, "WireGuard header", kWireguardHeader);
      add(out, "UDP (WireGuard)", kUdpHeader);
      add(out, step == Step::kWireguardV4 ? "IPv4 header" : "IPv6 header", ip);
      return size + kWireguardTag + kWireguardHeader + kUdpHeader + ip;
    }
  }
  return size;
}

bool needs_ipv4_underlay(StackKind kind) {
  return kind != StackKind::kWireguard && kind != StackKind::kL2tpIpsecInWireguard &&
         kind != StackKind::kL2tp;
}

}  // namespace

std::size_t outer_size(const StackSpec& stack, std::size_t inner, std::vector<LayerCost>* layers) {
  std::size_t size = inner;
  for (const Step step : steps_of(stack)) size = wrap(step, size, stack, layers);
  return size;
}

Result<MtuBudget, std::string> mtu_budget(const StackSpec& stack, std::size_t underlay_mtu) {
  if (underlay_mtu < kMinUnderlay || underlay_mtu > kMaxUnderlay)
    return Err("an underlay MTU must be 576 to 65535 bytes, not " + std::to_string(underlay_mtu));
  if (stack.underlay == IpAddress::Family::kV6 && needs_ipv4_underlay(stack.kind))
    return Err(std::string(stack_name(stack.kind)) +
               " runs over IPv4 only (Tandem's L2TP/IPsec and ESP tunnels)");
  if (outer_size(stack, 0) > underlay_mtu)
    return Err("an underlay MTU of " + std::to_string(underlay_mtu) + " leaves no room for " +
               stack_name(stack.kind) + "'s headers (" + std::to_string(outer_size(stack, 0)) +
               " bytes)");
  // The largest inner size whose outer size fits: the outer size never shrinks as the inner
  // one grows, so a binary search finds it.
  std::size_t low = 0, high = underlay_mtu;
  while (low < high) {
    const std::size_t mid = (low + high + 1) / 2;
    if (outer_size(stack, mid) <= underlay_mtu)
      low = mid;
    else
      high = mid - 1;
  }
  MtuBudget b;
  b.underlay_mtu = underlay_mtu;
  b.inner_mtu = low;
  b.outer_size = outer_size(stack, low, &b.layers);
  std::vector<LayerCost> outermost_first(b.layers.rbegin(), b.layers.rend());
  b.layers = std::move(outermost_first);
  return b;
}

const char* stack_name(StackKind kind) {
  switch (kind) {
    case StackKind::kWireguard:
      return "wireguard";
    case StackKind::kL2tp:
      return "l2tp";
    case StackKind::kL2tpIpsec:
      return "l2tp-ipsec";
    case StackKind::kIpsecTunnel:
      return "ipsec";
    case StackKind::kWireguardInL2tpIpsec:
      return "wireguard-in-l2tp-ipsec";
    case StackKind::kL2tpIpsecInWireguard:
      return "l2tp-ipsec-in-wireguard";
  }
  return "?";
}

std::optional<StackKind> parse_stack(std::string_view name) {
  for (const StackKind k :
       {StackKind::kWireguard, StackKind::kL2tp, StackKind::kL2tpIpsec, StackKind::kIpsecTunnel,
        StackKind::kWireguardInL2tpIpsec, StackKind::kL2tpIpsecInWireguard})
    if (name == stack_name(k)) return k;
  return std::nullopt;
}

const char* esp_suite_name(EspSuite suite) {
  switch (suite) {
    case EspSuite::kAesGcm16:
      return "aes-gcm";
    case EspSuite::kAesCbcSha1:
      return "aes-cbc-sha1";
    case EspSuite::kAesCbcSha256:
      return "aes-cbc-sha256";
    case EspSuite::kTripleDesSha1:
      return "3des-sha1";
  }
  return "?";
}

std::optional<EspSuite> parse_esp_suite(std::string_view name) {
  for (const EspSuite s : {EspSuite::kAesGcm16, EspSuite::kAesCbcSha1, EspSuite::kAesCbcSha256,
                           EspSuite::kTripleDesSha1})
    if (name == esp_suite_name(s)) return s;
  return std::nullopt;
}

std::size_t costliest_esp_inner_mtu(StackKind kind, std::size_t underlay_mtu) {
  std::size_t mtu = underlay_mtu;
  for (const EspSuite suite :
       {EspSuite::kAesGcm16, EspSuite::kAesCbcSha1, EspSuite::kAesCbcSha256}) {
    auto b = mtu_budget(StackSpec{kind, IpAddress::Family::kV4, suite, true}, underlay_mtu);
    mtu = b ? std::min(mtu, b->inner_mtu) : 0;
  }
  return mtu;
}

}  // namespace tandem::hybrid
