// Parsing a UAPI get=1 reply and merging Tandem's "status" document into it (uapi_status.hpp).
#include "control/uapi_status.hpp"

#include <fmt/format.h>

#include <charconv>

#include "crypto/key_encoding.hpp"
#include "crypto/x25519.hpp"

namespace tandem::control {
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
  if (doc.contains("drops") && doc["drops"].is_object())
    for (const auto& [reason, count] : doc["drops"].items())
      if (count.is_number_unsigned()) status.drops.emplace_back(reason, count.get<std::uint64_t>());
  for (const auto& entry : doc["peers"]) {
    if (!entry.is_object()) continue;
    const std::string key = entry.value("public_key", "");
    for (PeerStatus& p : status.peers) {
      if (p.public_key != key) continue;
      p.name = entry.value("name", "");
      p.mtu = number(entry, "mtu");
      p.configured_mtu = number(entry, "configured_mtu");
      p.mtu_probe_target = entry.value("mtu_probe_target", "");
      const auto probe = entry.value("mtu_probe", nlohmann::json());
      if (probe.is_object()) p.mtu_probe = probe;
    }
  }
}

}  // namespace tandem::control
