#include "cli/mtu_command.hpp"

#include <fmt/format.h>

#include <ostream>

#include "hybrid/mtu_budget.hpp"

namespace tandem::cli {
namespace {

bool uses_esp(hybrid::StackKind kind) {
  return kind != hybrid::StackKind::kWireguard && kind != hybrid::StackKind::kL2tp;
}

std::string choices(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

int run_mtu(const MtuOptions& options, std::ostream& out, std::ostream& err) {
  using hybrid::StackKind;
  const auto kind = hybrid::parse_stack(options.stack);
  if (!kind) {
    err << "tandem mtu: unknown stack '" << options.stack << "'; one of "
        << choices({"wireguard", "l2tp", "l2tp-ipsec", "ipsec", "wireguard-in-l2tp-ipsec",
                    "l2tp-ipsec-in-wireguard"})
        << "\n";
    return 1;
  }
  const auto suite = hybrid::parse_esp_suite(options.esp);
  if (!suite) {
    err << "tandem mtu: unknown ESP suite '" << options.esp << "'; one of "
        << choices({"aes-gcm", "aes-cbc-sha1", "aes-cbc-sha256", "3des-sha1"}) << "\n";
    return 1;
  }
  const hybrid::StackSpec spec{*kind,
                               options.ipv6 ? IpAddress::Family::kV6 : IpAddress::Family::kV4,
                               *suite, !options.no_nat_t};
  auto budget = hybrid::mtu_budget(spec, options.underlay);
  if (!budget) {
    err << "tandem mtu: " << budget.error() << "\n";
    return 1;
  }
  std::string title = fmt::format("{} over IPv{}, underlay MTU {}", options.stack,
                                  options.ipv6 ? 6 : 4, options.underlay);
  if (uses_esp(*kind))
    title += fmt::format(", ESP {}{}", options.esp, options.no_nat_t ? "" : " in UDP 4500");
  out << title << "\n";
  out << fmt::format("  {:<36} {:>6}\n", "layer (outermost first)", "bytes");
  for (const auto& layer : budget->layers)
    out << fmt::format("  {:<36} {:>6}\n", layer.name, layer.bytes);
  out << fmt::format("  {:<36} {:>6}\n", "overhead", budget->outer_size - budget->inner_mtu);
  out << fmt::format("  {:<36} {:>6}\n", "inner MTU", budget->inner_mtu);
  if (budget->outer_size < options.underlay)
    out << fmt::format("  ({} bytes of the underlay unused: padding to the cipher's block)\n",
                       options.underlay - budget->outer_size);
  return 0;
}

}  // namespace tandem::cli
