#include "cli/l2tp_status_view.hpp"

#include <fmt/format.h>

#include "cli/mtu_probe_view.hpp"

namespace tandem::cli {

std::string render_ipsec_text(const nlohmann::json& ipsec) {
  std::string out;
  for (const auto& ike : ipsec.value("ike_sas", nlohmann::json::array()))
    out += fmt::format(
        "\nIKE SA with {} ({}): {}, {}\n", ike.value("remote", ""), ike.value("peer", ""),
        ike.value("established", false) ? "established" : "negotiating", ike.value("suite", ""));
  for (const auto& c : ipsec.value("child_sas", nlohmann::json::array())) {
    out += fmt::format("\nESP SA {}/{} with {}: {}, {} mode{}{}\n", c.value("spi_in", ""),
                       c.value("spi_out", ""), c.value("peer", ""), c.value("suite", ""),
                       c.value("mode", ""), c.value("udp_encapsulated", false) ? ", in UDP" : "",
                       c.value("carries_outbound", true) ? "" : " (replaced, draining)");
    out += fmt::format("  traffic: {} <-> {}\n", c.value("local", ""), c.value("remote", ""));
    out += fmt::format("  packets: {} in, {} out; dropped: {} replayed, {} forged, {} off-policy\n",
                       c.value("packets_in", 0), c.value("packets_out", 0), c.value("replayed", 0),
                       c.value("authentication_failed", 0), c.value("policy_dropped", 0));
  }
  return out;
}

// The MTU inner packets are held to, with what the underlay's ICMP said and what was too big.
std::string render_mtu_text(const nlohmann::json& s) {
  if (!s.contains("mtu")) return {};
  std::string out = fmt::format("  MTU: {}", s.value("mtu", 0));
  const auto none = nlohmann::json::object();
  // ESP's peers (in the IPsec document) and plain L2TP's (in the interface's own).
  for (const nlohmann::json* doc : {s.contains("ipsec") ? &s["ipsec"] : &none, &s}) {
    const nlohmann::json underlay = doc->value("underlay_path_mtu", none);
    for (const auto& [peer, mtu] : underlay.items())
      out += fmt::format("; the underlay towards {} carries {} bytes (ICMP)", peer, mtu.get<int>());
  }
  const auto& too_big = s.value("too_big", none);
  const auto icmp = too_big.value("icmp", 0), fragmented = too_big.value("fragmented", 0),
             dropped = too_big.value("dropped", 0);
  if (icmp + fragmented + dropped > 0)
    out += fmt::format("; too big: {} answered with ICMP, {} fragmented, {} dropped", icmp,
                       fragmented, dropped);
  return out + "\n";
}

std::string render_ipsec_interface_text(const nlohmann::json& s) {
  const auto& ipsec = s.value("ipsec", nlohmann::json::object());
  std::string out = fmt::format("interface: {}\n  IPsec tunnels (IKEv{}, ESP tunnel mode)\n",
                                s.value("interface", "?"), ipsec.value("ike_version", 2));
  for (const auto& c : s.value("connections", nlohmann::json::array())) {
    std::string local, remote;
    for (const auto& p : c.value("local_subnets", nlohmann::json::array()))
      local += (local.empty() ? "" : ",") + p.get<std::string>();
    for (const auto& p : c.value("remote_subnets", nlohmann::json::array()))
      remote += (remote.empty() ? "" : ",") + p.get<std::string>();
    out += fmt::format(
        "  connection {}: {} <-> {} via {}\n", c.value("name", ""), local, remote,
        c.value("remote_address", "").empty() ? "(any address)" : c.value("remote_address", ""));
  }
  return out + render_mtu_text(s) + render_ipsec_text(ipsec);
}

std::string render_l2tp_text(const nlohmann::json& s) {
  const char* role = s.value("role", "") == "lns" ? "gateway (LNS)" : "client (LAC)";
  std::string out = fmt::format("interface: {}\n", s.value("interface", "?"));
  if (s.contains("ipsec"))
    out += fmt::format("  L2TP/IPsec {} (IKEv{}, ESP transport mode on UDP 1701)\n", role,
                       s["ipsec"].value("ike_version", 1));
  if (s.contains("udp_port"))
    out += fmt::format("  L2TP {} on UDP port {} (plain L2TP: not encrypted)\n", role,
                       s.value("udp_port", 0));
  out += fmt::format("  tunnels: {}\n", s.value("tunnels", 0));
  const auto& stats = s.value("stats", nlohmann::json::object());
  out +=
      fmt::format("  packets: {} in from sessions, {} out to sessions, {} without a session",
                  stats.value("to_tun", 0), stats.value("from_tun", 0), stats.value("no_route", 0));
  if (stats.value("spoofed", 0) > 0) out += fmt::format(", {} spoofed", stats.value("spoofed", 0));
  out += "\n";
  out += render_mtu_text(s);
  if (s.contains("ipsec")) out += render_ipsec_text(s["ipsec"]);
  for (const auto& session : s.value("sessions", nlohmann::json::array())) {
    out += fmt::format("\nsession: {}/{}\n  user: {}\n  peer: {}\n  state: {}\n",
                       session.value("tunnel", 0), session.value("session", 0),
                       session.value("user", ""), session.value("peer", ""),
                       session.value("up", false) ? "up" : "connecting");
    if (session.contains("local"))
      out += fmt::format("  addresses: {} (local) <-> {} (remote)\n", session.value("local", ""),
                         session.value("remote", ""));
    if (session.contains("mtu"))
      out += fmt::format("  MTU: {} (configured {})\n", session.value("mtu", 0),
                         session.value("configured_mtu", 0));
    if (session.contains("mtu_probe"))
      out += "  " + render_mtu_probe_text(session["mtu_probe"]) + "\n";
  }
  return out;
}

}  // namespace tandem::cli
