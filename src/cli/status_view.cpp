#include "cli/status_view.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/mtu_probe_view.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/x25519.hpp"

namespace tandem::cli {
namespace {

std::string plural(std::int64_t n, const char* unit) {
  return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s");
}

// "    mtu: 1340 (the device's 1420)" and "    path MTU probing: complete, 1340 probed (searched
// up to 1420), 25 probes sent, 20 answered; pinging 10.0.0.2" or "...: off (why)".
std::string mtu_text(const PeerStatus& p) {
  std::string out;
  if (p.mtu)
    out += fmt::format("    mtu: {}{}\n", *p.mtu,
                       p.configured_mtu && *p.configured_mtu != *p.mtu
                           ? fmt::format(" (the device's {})", *p.configured_mtu)
                           : std::string());
  if (!p.mtu_probe.is_object()) return out;
  out += "    " + render_mtu_probe_text(p.mtu_probe);
  if (!p.mtu_probe_target.empty()) out += "; pinging " + p.mtu_probe_target;
  return out + "\n";
}

}  // namespace

std::string describe_age(std::int64_t seconds) {
  if (seconds <= 0) return "Now";
  const std::int64_t parts[] = {seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60,
                                seconds % 60};
  const char* units[] = {"day", "hour", "minute", "second"};
  std::string out;
  for (int i = 0; i < 4; ++i) {
    if (parts[i] == 0) continue;
    if (!out.empty()) out += ", ";
    out += plural(parts[i], units[i]);
  }
  return out + " ago";
}

std::string describe_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.2f} {}", value, units[unit]);
}

namespace {

// The split-DNS forwarder's line, when it runs.
std::string dns_text(const nlohmann::json& dns) {
  if (!dns.is_object()) return "";
  const auto count = [&](const char* key) { return dns.value(key, std::uint64_t{0}); };
  std::string listen;
  for (const auto& l : dns.value("listen", nlohmann::json::array()))
    if (l.is_string()) listen += (listen.empty() ? "" : ", ") + l.get<std::string>();
  return fmt::format("  dns forwarder: {} ({} queries, {} answered, {} SERVFAIL, {} timeouts)\n",
                     listen, count("queries"), count("answered"), count("servfail"),
                     count("timeouts"));
}

}  // namespace

std::string render_text(const std::vector<InterfaceStatus>& interfaces, std::int64_t now_unix) {
  std::string out;
  for (const auto& itf : interfaces) {
    if (!out.empty()) out += '\n';
    out += fmt::format("interface: {}\n", itf.name);
    if (!itf.public_key.empty()) out += fmt::format("  public key: {}\n", itf.public_key);
    out += fmt::format("  listening port: {}\n", itf.listen_port);
    if (itf.fwmark != 0) out += fmt::format("  fwmark: 0x{:x}\n", itf.fwmark);
    out += dns_text(itf.dns);
    out += fmt::format("  peers: {}\n", itf.peers.size());
    for (const auto& p : itf.peers) {
      out += fmt::format("\n  peer: {}\n", p.public_key);
      if (p.has_preshared_key) out += "    preshared key: (hidden)\n";
      if (!p.endpoint.empty()) out += fmt::format("    endpoint: {}\n", p.endpoint);
      std::string ips;
      for (const auto& ip : p.allowed_ips) ips += (ips.empty() ? "" : ", ") + ip;
      out += fmt::format("    allowed ips: {}\n", ips.empty() ? "(none)" : ips);
      out += fmt::format("    latest handshake: {}\n",
                         p.last_handshake_sec == 0 ? std::string("(none)")
                                                   : describe_age(now_unix - p.last_handshake_sec));
      out += fmt::format("    transfer: {} received, {} sent\n", describe_bytes(p.rx_bytes),
                         describe_bytes(p.tx_bytes));
      if (p.persistent_keepalive != 0)
        out += fmt::format("    persistent keepalive: every {}\n",
                           plural(p.persistent_keepalive, "second"));
      out += mtu_text(p);
    }
  }
  return out;
}

std::string render_json(const std::vector<InterfaceStatus>& interfaces, std::int64_t now_unix) {
  auto list = nlohmann::json::array();
  for (const auto& itf : interfaces) list.push_back(control::interface_status_json(itf, now_unix));
  return list.dump(2) + "\n";
}

}  // namespace tandem::cli
