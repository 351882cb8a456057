#include "cli/l2tp_status_view.hpp"

#include <fmt/format.h>

namespace tandem::cli {

std::string render_l2tp_text(const nlohmann::json& s) {
  std::string out = fmt::format(
      "interface: {}\n  L2TP {} on UDP port {} (plain L2TP: not encrypted)\n  tunnels: {}\n",
      s.value("interface", "?"), s.value("role", "") == "lns" ? "gateway (LNS)" : "client (LAC)",
      s.value("udp_port", 0), s.value("tunnels", 0));
  const auto& stats = s.value("stats", nlohmann::json::object());
  out += fmt::format("  packets: {} in from sessions, {} out to sessions, {} without a session",
                     stats.value("to_tun", 0), stats.value("from_tun", 0),
                     stats.value("no_route", 0));
  if (stats.value("spoofed", 0) > 0) out += fmt::format(", {} spoofed", stats.value("spoofed", 0));
  out += "\n";
  for (const auto& session : s.value("sessions", nlohmann::json::array())) {
    out += fmt::format("\nsession: {}/{}\n  user: {}\n  peer: {}\n  state: {}\n",
                       session.value("tunnel", 0), session.value("session", 0),
                       session.value("user", ""), session.value("peer", ""),
                       session.value("up", false) ? "up" : "connecting");
    if (session.contains("local"))
      out += fmt::format("  addresses: {} (local) <-> {} (remote)\n", session.value("local", ""),
                         session.value("remote", ""));
  }
  return out;
}

}  // namespace tandem::cli
