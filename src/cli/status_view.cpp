#include "cli/status_view.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/mtu_probe_view.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/x25519.hpp"

namespace tandem::cli {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string public_from_private_hex(std::string_view hex) {
  auto raw = crypto::decode_key_hex(hex);
  if (!raw) return {};
  crypto::PrivateKey key{std::span<const std::byte, 32>(*raw)};
  crypto::secure_wipe(*raw);
  bool all_zero = true;
  for (auto b : key.bytes()) all_zero = all_zero && b == std::byte{0};
  if (all_zero) return {};
  return crypto::base64_encode(crypto::x25519_public_key(key));
}

std::string hex_to_base64(std::string_view hex) {
  auto raw = crypto::decode_key_hex(hex);
  return raw ? crypto::base64_encode(*raw) : std::string(hex);
}

std::string plural(std::int64_t n, const char* unit) {
  return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s");
}

}  // namespace

Result<InterfaceStatus, std::string> parse_uapi_get(std::string name, std::string_view reply) {
  InterfaceStatus st;
  st.name = std::move(name);
  PeerStatus* peer = nullptr;
  bool saw_errno = false;
  while (!reply.empty()) {
    const auto nl = reply.find('\n');
    const auto line = reply.substr(0, nl);
    reply = nl == std::string_view::npos ? std::string_view{} : reply.substr(nl + 1);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return Err{fmt::format("malformed line '{}'", line)};
    const auto key = line.substr(0, eq);
    const auto value = line.substr(eq + 1);
    bool ok = true;
    if (key == "errno") {
      int code = 0;
      if (!parse_number(value, code) || code != 0)
        return Err{fmt::format("the daemon answered errno={}", value)};
      saw_errno = true;
    } else if (key == "private_key") {
      st.public_key = public_from_private_hex(value);
    } else if (key == "listen_port") {
      ok = parse_number(value, st.listen_port);
    } else if (key == "fwmark") {
      ok = parse_number(value, st.fwmark);
    } else if (key == "public_key") {
      peer = &st.peers.emplace_back();
      peer->public_key = hex_to_base64(value);
    } else if (peer == nullptr) {
      continue;  // unknown interface-level key from a newer daemon: ignore
    } else if (key == "preshared_key") {
      peer->has_preshared_key = value.find_first_not_of('0') != std::string_view::npos;
    } else if (key == "endpoint") {
      peer->endpoint = std::string(value);
    } else if (key == "allowed_ip") {
      peer->allowed_ips.emplace_back(value);
    } else if (key == "last_handshake_time_sec") {
      ok = parse_number(value, peer->last_handshake_sec);
    } else if (key == "last_handshake_time_nsec") {
      ok = parse_number(value, peer->last_handshake_nsec);
    } else if (key == "tx_bytes") {
      ok = parse_number(value, peer->tx_bytes);
    } else if (key == "rx_bytes") {
      ok = parse_number(value, peer->rx_bytes);
    } else if (key == "persistent_keepalive_interval") {
      ok = parse_number(value, peer->persistent_keepalive);
    }
    if (!ok) return Err{fmt::format("bad value in line '{}'", line)};
  }
  if (!saw_errno) return Err{std::string("reply has no errno line")};
  return st;
}

void merge_peer_mtus(InterfaceStatus& status, std::string_view status_reply) {
  const auto doc = nlohmann::json::parse(status_reply, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("peers") || !doc["peers"].is_array())
    return;
  const auto number = [](const nlohmann::json& j, const char* key) -> std::optional<std::uint64_t> {
    if (!j.contains(key) || !j[key].is_number_unsigned()) return std::nullopt;
    return j[key].get<std::uint64_t>();
  };
  for (const auto& entry : doc["peers"]) {
    if (!entry.is_object()) continue;
    const std::string key = entry.value("public_key", "");
    for (PeerStatus& p : status.peers) {
      if (p.public_key != key) continue;
      p.mtu = number(entry, "mtu");
      p.configured_mtu = number(entry, "configured_mtu");
      p.mtu_probe_target = entry.value("mtu_probe_target", "");
      const auto probe = entry.value("mtu_probe", nlohmann::json());
      if (probe.is_object()) p.mtu_probe = probe;
    }
  }
}

namespace {

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

std::string render_text(const std::vector<InterfaceStatus>& interfaces, std::int64_t now_unix) {
  std::string out;
  for (const auto& itf : interfaces) {
    if (!out.empty()) out += '\n';
    out += fmt::format("interface: {}\n", itf.name);
    if (!itf.public_key.empty()) out += fmt::format("  public key: {}\n", itf.public_key);
    out += fmt::format("  listening port: {}\n", itf.listen_port);
    if (itf.fwmark != 0) out += fmt::format("  fwmark: 0x{:x}\n", itf.fwmark);
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
  for (const auto& itf : interfaces) {
    auto peers = nlohmann::json::array();
    for (const auto& p : itf.peers) {
      nlohmann::json peer(
          {{"public_key", p.public_key},
           {"preshared_key", p.has_preshared_key},
           {"endpoint", p.endpoint},
           {"allowed_ips", p.allowed_ips},
           {"latest_handshake_unix", p.last_handshake_sec},
           {"latest_handshake_age_seconds", p.last_handshake_sec == 0
                                                ? nlohmann::json(nullptr)
                                                : nlohmann::json(now_unix - p.last_handshake_sec)},
           {"rx_bytes", p.rx_bytes},
           {"tx_bytes", p.tx_bytes},
           {"persistent_keepalive", p.persistent_keepalive}});
      if (p.mtu) peer["mtu"] = *p.mtu;
      if (p.configured_mtu) peer["configured_mtu"] = *p.configured_mtu;
      if (!p.mtu_probe_target.empty()) peer["mtu_probe_target"] = p.mtu_probe_target;
      if (p.mtu_probe.is_object()) peer["mtu_probe"] = p.mtu_probe;
      peers.push_back(std::move(peer));
    }
    list.push_back({{"name", itf.name},
                    {"public_key", itf.public_key},
                    {"listen_port", itf.listen_port},
                    {"fwmark", itf.fwmark},
                    {"peers", peers}});
  }
  return list.dump(2) + "\n";
}

}  // namespace tandem::cli
