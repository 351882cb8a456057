#include "daemon/l2tp_mtu.hpp"

#include <algorithm>

#include "base/packet.hpp"
#include "io/path_mtu.hpp"
#include "ipsec/ike/v1/config.hpp"

namespace tandem::daemon {
namespace {

// What the config parser allows for [l2tp] mtu.
constexpr std::size_t kMinMtu = 1280;
constexpr std::size_t kMaxMtu = kMaxTunnelMtu;  // what the data path carries

std::optional<hybrid::MtuBudget> budget_of(hybrid::StackKind kind, hybrid::EspSuite suite,
                                           IpAddress::Family family, std::size_t underlay) {
  const hybrid::StackSpec spec{kind, family, suite, true};
  auto budget = hybrid::mtu_budget(spec, underlay);
  if (!budget) return std::nullopt;
  return *budget;
}

std::size_t inner_mtu(hybrid::StackKind kind, hybrid::EspSuite suite, IpAddress::Family family,
                      std::size_t underlay) {
  const auto budget = budget_of(kind, suite, family, underlay);
  return budget ? budget->inner_mtu : 0;
}

}  // namespace

hybrid::EspSuite esp_suite_of(const ipsec::ike::v1::Phase2Suite& suite) {
  namespace v1 = ipsec::ike::v1;
  if (suite.transform == v1::kEspAesGcm16) return hybrid::EspSuite::kAesGcm16;
  if (suite.authentication == v1::kAuthHmacSha256) return hybrid::EspSuite::kAesCbcSha256;
  return suite.transform == v1::kEsp3des ? hybrid::EspSuite::kTripleDesSha1
                                         : hybrid::EspSuite::kAesCbcSha1;
}

std::vector<hybrid::EspSuite> allowed_esp_suites(const control::L2tpIpsecConfig& ipsec) {
  const std::vector<ipsec::ike::v1::Phase2Suite> suites =
      ipsec.esp_proposals.empty() ? ipsec::ike::v1::default_phase2_suites() : ipsec.esp_proposals;
  std::vector<hybrid::EspSuite> out;
  for (const auto& s : suites)
    if (std::find(out.begin(), out.end(), esp_suite_of(s)) == out.end())
      out.push_back(esp_suite_of(s));
  return out;
}

hybrid::EspSuite costliest_esp_suite(std::span<const hybrid::EspSuite> suites,
                                     hybrid::StackKind kind, std::size_t underlay) {
  return *std::min_element(suites.begin(), suites.end(), [&](auto a, auto b) {
    return inner_mtu(kind, a, IpAddress::Family::kV4, underlay) <
           inner_mtu(kind, b, IpAddress::Family::kV4, underlay);
  });
}

std::size_t l2tp_mtu_over(const control::L2tpConfig& config, std::size_t underlay,
                          IpAddress::Family family, std::string* why) {
  std::optional<hybrid::MtuBudget> budget;
  std::string layers;
  if (config.ipsec) {
    // The device and PPP's MRU are sized before IKE has chosen a suite (and a gateway's clients
    // may each choose another): the costliest suite the section allows leaves room for any of
    // them. With one suite in esp_proposals the figure is exact.
    const auto suites = allowed_esp_suites(*config.ipsec);
    const hybrid::EspSuite suite =
        costliest_esp_suite(suites, hybrid::StackKind::kL2tpIpsec, underlay);
    budget = budget_of(hybrid::StackKind::kL2tpIpsec, suite, family, underlay);
    layers = std::string("IPv4, UDP 4500, ESP (") + hybrid::esp_suite_name(suite) +
             (suites.size() > 1 ? ", the costliest suite [l2tp.ipsec] allows" : "") +
             "), UDP 1701, L2TP and PPP";
  } else {
    budget = budget_of(hybrid::StackKind::kL2tp, hybrid::EspSuite::kAesGcm16, family, underlay);
    layers =
        std::string(family == IpAddress::Family::kV4 ? "IPv4" : "IPv6") + ", UDP, L2TP and PPP";
  }
  if (!budget) {
    if (why) *why = "no room for " + layers + " in " + std::to_string(underlay);
    return 0;
  }
  if (why) {
    *why = std::to_string(underlay) + ", less " +
           std::to_string(budget->outer_size - budget->inner_mtu) + " of " + layers;
    if (budget->outer_size < underlay)
      *why += "; " + std::to_string(underlay - budget->outer_size) +
              " bytes unused, as ESP pads to the cipher's block";
  }
  return budget->inner_mtu;
}

unsigned l2tp_device_mtu(const control::L2tpConfig& config, const std::optional<Endpoint>& server,
                         std::string* why) {
  if (config.mtu_given) {
    if (why) *why = "as configured";
    return config.mtu;
  }
  std::string budget;
  std::size_t mtu = 0;
  std::optional<std::uint32_t> path;
  if (config.role == control::L2tpRole::kLac && server)
    if (auto known = io::cached_path_mtu(*server, 0)) path = *known;
  if (path) {
    mtu = l2tp_mtu_over(config, *path, server->address.family(), &budget);
    budget = "the path to " + server->to_string() + " carries " + budget;
  } else {
    mtu = l2tp_mtu_over(config, kAssumedUnderlayMtu, IpAddress::Family::kV4, &budget);
    budget = std::string(config.role == control::L2tpRole::kLns
                             ? "a gateway, whose clients' paths are not known before they dial"
                         : server ? "no route to the server now"
                                  : "the server's name is not resolved yet") +
             ": an underlay of " + budget;
  }
  // What the config parser allows, too (IPv6, which a hybrid's sessions carry, needs 1280).
  const auto kept = static_cast<unsigned>(std::clamp(mtu, kMinMtu, kMaxMtu));
  if (why) *why = kept == mtu ? budget : budget + "; kept to " + std::to_string(kept);
  return kept;
}

}  // namespace tandem::daemon
