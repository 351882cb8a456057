#include "cli/mtu_command.hpp"

#include <fmt/format.h>

#include <ostream>
#include <sstream>

#include "cli/status_command.hpp"
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

// The objects with an "mtu_probe" in `j`, depth first, each with the name of the document
// (interface) it is in.
void collect_probed(const nlohmann::json& j, const std::string& interface,
                    std::vector<std::pair<std::string, const nlohmann::json*>>& out) {
  if (j.is_object()) {
    // A hybrid, L2TP or IPsec document names its "interface"; a WireGuard one is its "name"
    // with its "peers".
    std::string here = interface;
    if (j.contains("interface") && j["interface"].is_string())
      here = j["interface"].get<std::string>();
    else if (j.contains("peers") && j.contains("name") && j["name"].is_string())
      here = j["name"].get<std::string>();
    if (j.contains("mtu_probe") && j["mtu_probe"].is_object()) out.push_back({here, &j});
    for (const auto& [key, value] : j.items())
      if (key != "mtu_probe") collect_probed(value, here, out);
  } else if (j.is_array()) {
    for (const auto& value : j) collect_probed(value, interface, out);
  }
}

std::string label_of(const nlohmann::json& o) {
  for (const char* key : {"path", "name", "session", "public_key"})
    if (o.contains(key) && o[key].is_string()) return o[key].get<std::string>();
  return "?";
}

int run_probed(const MtuOptions& options, std::ostream& out, std::ostream& err) {
  StatusOptions status;
  status.interface_name = options.interface_name;
  status.json = true;
  status.socket_dir = options.socket_dir;
  status.admin_socket_dir = options.admin_socket_dir;
  std::ostringstream json;
  const int rc = run_status(status, json, err);
  const auto documents = nlohmann::json::parse(json.str(), nullptr, false);
  if (rc != 0 || documents.is_discarded()) {
    err << "tandem mtu: cannot read the status of " << options.interface_name
        << " (is it up? `tandem status` lists what runs)\n";
    return 1;
  }
  const std::string text = render_probed_mtus(documents);
  out << (text.empty() ? options.interface_name +
                             ": no path of it is probed (path MTU probing runs on a hybrid "
                             "interface's paths)\n"
                       : text);
  return 0;
}

}  // namespace

std::string render_probed_mtus(const nlohmann::json& documents) {
  std::vector<std::pair<std::string, const nlohmann::json*>> probed;
  collect_probed(documents, "", probed);
  std::string text;
  for (const auto& [interface, o] : probed) {
    const nlohmann::json& p = (*o)["mtu_probe"];
    const std::string state = p.value("state", "?");
    std::string line = fmt::format("{} {}: ", interface, label_of(*o));
    if (state == "off") {
      text += line + "not probed: " + p.value("reason", "off") + "\n";
      continue;
    }
    const auto budget = p.value("max", std::size_t{0});
    line += fmt::format("budget {}", budget);
    if (p.contains("probed")) {
      const auto found = p.value("probed", std::size_t{0});
      line += fmt::format(", probed {} ({})", found, state);
      if (found < budget)
        line += fmt::format(
            ": {} bytes less than the budget, something on the path drops larger packets",
            budget - found);
    } else {
      line += fmt::format(", nothing probed yet ({}): the budget holds", state);
    }
    text += line + "\n";
  }
  return text;
}

int run_mtu(const MtuOptions& options, std::ostream& out, std::ostream& err) {
  using hybrid::StackKind;
  if (!options.interface_name.empty() && options.stack.empty())
    return run_probed(options, out, err);
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
  if (!options.interface_name.empty()) return run_probed(options, out, err);
  return 0;
}

}  // namespace tandem::cli
