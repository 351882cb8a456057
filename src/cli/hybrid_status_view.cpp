#include "cli/hybrid_status_view.hpp"

#include <fmt/format.h>

#include "cli/mtu_probe_view.hpp"
#include "cli/status_view.hpp"

namespace tandem::cli {
namespace {

// "    mtu 1420; sent 10 packets (1.2 KB), received 9 packets (1.1 KB)", and when ICMP said a
// peer's underlay is smaller, "    the underlay to gateway carries 1280 bytes (ICMP)".
std::string path_counters_text(const nlohmann::json& p) {
  const auto kb = [](std::uint64_t bytes) { return static_cast<double>(bytes) / 1000.0; };
  std::string underlay;
  const nlohmann::json paths = p.value("underlay_path_mtu", nlohmann::json::object());
  for (const auto& [peer, mtu] : paths.items())
    underlay +=
        fmt::format("    the underlay to {} carries {} bytes (ICMP)\n", peer, mtu.get<int>());
  return fmt::format("    mtu {}; sent {} packets ({:.1f} KB), received {} packets ({:.1f} KB)\n",
                     p.value("mtu", 0), p.value("tx_packets", std::uint64_t{0}),
                     kb(p.value("tx_bytes", std::uint64_t{0})),
                     p.value("rx_packets", std::uint64_t{0}),
                     kb(p.value("rx_bytes", std::uint64_t{0}))) +
         underlay;
}

std::string client_text(const nlohmann::json& s) {
  std::string out =
      fmt::format("  hybrid {}: traffic on {}\n",
                  s.value("secondary", "") == "ipsec" ? "site" : "client", s.value("active", "?"));
  for (const auto& p : s.value("paths", nlohmann::json::array())) {
    std::string state = p.value("forced_down", false)   ? "held down by a drill"
                        : p.value("healthy", false)     ? "healthy"
                        : p.value("protocol_up", false) ? "unhealthy"
                                                        : "down";
    out += fmt::format(
        "  path {} ({}): {}{}; probes {} sent, {} answered, {}% lost", p.value("path", "?"),
        p.value("role", "?"), state, p.value("active", false) ? ", active" : ", standby",
        p.value("probes_sent", 0), p.value("probes_answered", 0), p.value("loss_percent", 0));
    if (p.contains("rtt_us")) out += fmt::format(", rtt {:.1f} ms", p.value("rtt_us", 0) / 1000.0);
    out += "\n" + path_counters_text(p);
    if (p.contains("mtu_probe")) out += "    " + render_mtu_probe_text(p["mtu_probe"]) + "\n";
  }
  if (s.contains("last_switch")) {
    const auto& w = s["last_switch"];
    out += fmt::format("  last switch: {} -> {}, {:.1f} s ago: {} (old path silent {} ms)\n",
                       w.value("from", "?"), w.value("to", "?"), w.value("ms_ago", 0) / 1000.0,
                       w.value("reason", ""), w.value("silent_for_ms", 0));
  } else {
    out += "  last switch: none\n";
  }
  out += fmt::format("  failback hold: {} s\n", s.value("failback_hold_ms", 0) / 1000);
  for (const auto& r : s.value("policy", nlohmann::json::array()))
    out += fmt::format("  policy {} on {} (on_down {}): {} packets, {} rerouted, {} dropped\n",
                       r.value("name", "?"), r.value("path", "?"), r.value("on_down", "?"),
                       r.value("packets", std::uint64_t{0}), r.value("rerouted", std::uint64_t{0}),
                       r.value("dropped", std::uint64_t{0}));
  return out;
}

// An account's session on one protocol: "    wireguard: 192.0.2.7:51820, handshake 1 minute,
// 5 seconds ago, 1.50 MiB received, 2.00 KiB sent, mtu 1340".
std::string account_session_text(const char* protocol, const nlohmann::json& a) {
  if (!a.is_object()) return {};
  std::string out = fmt::format(
      "    {}: {}", protocol,
      a.value("endpoint", "").empty() ? std::string("(no endpoint yet)") : a.value("endpoint", ""));
  if (a.contains("latest_handshake_unix"))
    out += a.value("latest_handshake_unix", std::int64_t{0}) == 0
               ? ", no handshake yet"
               : ", handshake " +
                     describe_age(a.value("latest_handshake_age_seconds", std::int64_t{0}));
  if (a.contains("up") && !a.value("up", false)) out += ", logging in";
  if (a.contains("last_echo_reply_ms_ago"))
    out += ", LCP echo answered " +
           describe_age(a.value("last_echo_reply_ms_ago", std::int64_t{0}) / 1000);
  if (a.contains("child_sas")) out += fmt::format(", {} Child SAs", a.value("child_sas", 0));
  out +=
      fmt::format(", {} received, {} sent", describe_bytes(a.value("rx_bytes", std::uint64_t{0})),
                  describe_bytes(a.value("tx_bytes", std::uint64_t{0})));
  if (a.contains("mtu")) out += fmt::format(", mtu {}", a.value("mtu", 0));
  return out + "\n";
}

std::string gateway_text(const nlohmann::json& s) {
  std::string out = "  hybrid gateway\n";
  for (const auto& p : s.value("paths", nlohmann::json::array()))
    out += fmt::format("  path {}\n", p.value("path", "?")) + path_counters_text(p);
  for (const auto& a : s.value("accounts", nlohmann::json::array())) {
    std::string paths;
    for (const auto& p : a.value("paths", nlohmann::json::array()))
      paths += (paths.empty() ? "" : ",") + p.get<std::string>();
    const auto moves = a.value("path_moves", std::uint64_t{0});
    out += fmt::format(
        "  account {}{}: {}{}{}; paths {}; traffic returns on {}{}\n", a.value("name", "?"),
        a.contains("class") ? " (class " + a.value("class", "") + ")" : std::string(),
        a.value("ipv4", "-"), a.contains("ipv6") ? " " + a.value("ipv6", "") : std::string(),
        a.value("disabled", false) ? " (disabled)" : "", paths.empty() ? "none" : paths,
        a.value("return_path", "none"),
        moves == 0 ? std::string()
                   : fmt::format(" (moved {} time{})", moves, moves == 1 ? "" : "s"));
    out += account_session_text("wireguard", a.value("wireguard", nlohmann::json()));
    out += account_session_text("l2tp-ipsec", a.value("l2tp", nlohmann::json()));
    out += account_session_text("ikev2", a.value("ikev2", nlohmann::json()));
    // Its WireGuard path's MTU probing (ICMP echoes to the client), or why there is none.
    if (a.contains("mtu_probe")) {
      out += "    " + render_mtu_probe_text(a["mtu_probe"]);
      if (a.contains("mtu_probe_target"))
        out += fmt::format(", echoes to {}; WireGuard packets held to {}",
                           a.value("mtu_probe_target", ""), a.value("wireguard_mtu", 0));
      out += "\n";
    }
    // Its IKEv2 road warrior's probing, while one is logged in.
    if (const auto& ikev2 = a.value("ikev2_mtu", nlohmann::json()); ikev2.is_object()) {
      out += "    ikev2 " + render_mtu_probe_text(ikev2.value("mtu_probe", nlohmann::json()));
      if (ikev2.contains("mtu_probe_target"))
        out += fmt::format(", echoes to {}", ikev2.value("mtu_probe_target", ""));
      out += fmt::format("; ESP packets held to {} (configured {})\n", ikev2.value("mtu", 0),
                         ikev2.value("configured_mtu", 0));
    }
  }
  return out;
}

// A nested stack: which path carries which, the outer tunnel's state and the carried datagrams.
std::string nested_text(const nlohmann::json& s) {
  const auto& c = s.value("counters", nlohmann::json::object());
  std::string out = fmt::format("  nested: {} inside {}, MTU {}\n", s.value("inner", "?"),
                                s.value("outer", "?"), s.value("mtu", 0));
  out += fmt::format(
      "  outer {}: {}{}\n", s.value("outer", "?"), s.value("outer_up", false) ? "up" : "down",
      s.contains("outer_address") ? ", this node " + s.value("outer_address", "") : std::string());
  if (s.contains("inner_address"))
    out += fmt::format("  inner address: {}\n", s.value("inner_address", ""));
  out +=
      fmt::format("  datagrams carried: {} out, {} in; packets: {} into the stack, {} delivered\n",
                  c.value("carried_out", 0), c.value("carried_in", 0), c.value("inner_sent", 0),
                  c.value("delivered", 0));
  out += fmt::format(
      "  dropped: {} while the outer path was down, {} queue full, {} not for the inner "
      "protocol, {} too big\n",
      c.value("dropped_outer_down", 0), c.value("dropped_queue_full", 0),
      c.value("dropped_not_nested", 0), c.value("dropped_too_big", 0));
  return out;
}

}  // namespace

std::string render_hybrid_text(const nlohmann::json& s) {
  std::string out = fmt::format("interface: {}\n", s.value("interface", "?"));
  if (s.value("role", "") == "nested") return out + nested_text(s);
  out += s.value("role", "") == "client" ? client_text(s) : gateway_text(s);
  const auto& c = s.value("counters", nlohmann::json::object());
  // The control paths: an ESP tunnel (a site's, a gateway's road warriors) when a spoofed
  // counter says "ipsec", L2TP/IPsec when one says "l2tp" (a gateway may have both).
  const auto& spoofed = s.value("spoofed", nlohmann::json::object());
  const bool ipsec = s.value("secondary", "") == "ipsec" || spoofed.contains("ipsec");
  const bool l2tp = s.value("secondary", "") == "l2tp-ipsec" || spoofed.contains("l2tp");
  out += fmt::format(
      "  packets: {} to WireGuard, {} to {}, {} delivered; dropped: {} without a route, "
      "{} spoofed, {} queue full, {} by a fail-closed rule\n",
      c.value("to_wireguard", 0), c.value("to_secondary", 0),
      ipsec && l2tp ? "L2TP/IPsec and IPsec"
      : ipsec       ? "IPsec"
                    : "L2TP/IPsec",
      c.value("delivered", 0), c.value("dropped_no_route", 0), c.value("dropped_spoofed", 0),
      c.value("dropped_queue_full", 0), c.value("dropped_policy", 0));
  // Larger than the path they were for (the device has WireGuard's MTU).
  out += fmt::format("  too big for their path: {} answered with ICMP, {} fragmented, {} dropped\n",
                     c.value("too_big_icmp", 0), c.value("fragmented", 0),
                     c.value("dropped_too_big", 0));
  // What each protocol's own source check refused (allowed IPs, the PPP address, ESP policy).
  std::string by_protocol;
  for (const auto& [protocol, count] : spoofed.items())
    by_protocol += fmt::format("{}{} {}", by_protocol.empty() ? "" : ", ", protocol,
                               count.is_number() ? count.get<std::uint64_t>() : 0);
  if (!by_protocol.empty()) out += "  spoofed sources refused: " + by_protocol + "\n";
  return out;
}

}  // namespace tandem::cli
